import Foundation
import XCTest
@testable import StarlingCore

final class ModelArchitectureTests: XCTestCase {
    func testParsesDashSeparatedWidthsAndCountsParameters() throws {
        let architecture = try ModelArchitecture(parsing: " 64-32-10 ")
        XCTAssertEqual(architecture.layerSizes, [64, 32, 10])
        XCTAssertEqual(architecture.description, "64-32-10")
        XCTAssertEqual(architecture.inputSize, 64)
        XCTAssertEqual(architecture.outputSize, 10)
        XCTAssertEqual(architecture.parameterCount, 64 * 32 + 32 + 32 * 10 + 10)
        XCTAssertFalse(architecture.isLogisticRegression)
        XCTAssertTrue(try ModelArchitecture(parsing: "4-3").isLogisticRegression)
    }

    func testRejectsZeroWidthSingleWidthAndNonNumericText() {
        for text in ["64-0-10", "64", "abc", "", "64--10", "64-32-70000", "-64-10"] {
            let error = thrownError { () throws(ModelError) in try ModelArchitecture(parsing: text) }
            guard case .invalidArchitecture(let reason)? = error else {
                return XCTFail("'\(text)' should be an invalid architecture, got \(String(describing: error))")
            }
            XCTAssertFalse(reason.isEmpty)
        }
        XCTAssertEqual(
            thrownError { () throws(ModelError) in try ModelArchitecture(parsing: "64-0-10") }?.description,
            "Invalid model architecture: layer 1 has width 0, expected 1...65536.")
    }

    func testCodesAsTheDashSeparatedString() throws {
        let architecture = try ModelArchitecture(layerSizes: [4, 3])
        let json = try JSONEncoder().encode([architecture])
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"["4-3"]"#)
        XCTAssertEqual(try JSONDecoder().decode([ModelArchitecture].self, from: json), [architecture])
        XCTAssertThrowsError(try JSONDecoder().decode([ModelArchitecture].self, from: Data(#"["4"]"#.utf8)))
    }
}
