import Foundation
import XCTest

@testable import StarlingAgent

final class CounterLedgerTests: XCTestCase {
    func test_add_countsInMemory_andFlushPersistsForTheNextStart() async throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("agent.sqlite")
        let store = try AgentStore(path: path)
        let ledger = try await CounterLedger.load(from: store)

        ledger.add([.predictions: 5, .phaseTwoRequests: 2])
        ledger.add([.predictions: 1])
        XCTAssertEqual(ledger.current()[.predictions], 6)
        let beforeFlush = try await store.counters()
        XCTAssertEqual(beforeFlush[.predictions], 0)

        try await ledger.flush()
        let reloaded = try await CounterLedger.load(from: AgentStore(path: path))

        XCTAssertEqual(reloaded.current()[.predictions], 6)
        XCTAssertEqual(reloaded.current()[.phaseTwoRequests], 2)
        XCTAssertEqual(ledger.current()[.predictions], 6)
    }
}
