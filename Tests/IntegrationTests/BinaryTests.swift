import Foundation
import StarlingAdmin
import XCTest

/// The device binary stays lean: it carries no server framework.
final class BinaryTests: XCTestCase {
    func test_agentBinary_doesNotLinkHummingbird() throws {
        let agent = try Data(contentsOf: StarlingBinaries.locate().agent)
        let aggregator = try Data(contentsOf: StarlingBinaries.locate().aggregator)
        let marker = Data("Hummingbird".utf8)

        XCTAssertNotNil(aggregator.range(of: marker), "the check must see Hummingbird where it is linked")
        XCTAssertNil(agent.range(of: marker))
    }
}
