import Foundation
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A connection cap asked for above what the descriptor limit allows is lowered to the listeners'
/// share of it: connections can never take the descriptors the process itself needs to run.
final class ConnectionBudgetTests: XCTestCase {
    private let loopback = ListenAddress(host: "127.0.0.1", port: 0)

    func test_anAskedCapAboveTheDescriptorBudget_isLoweredToIt_andOneBelowIsKept() throws {
        let budget = ConnectionLimits.descriptorBudget(listeners: 2)
        let asked = AggregatorConfiguration(
            dataDirectory: URL(fileURLWithPath: "/nonexistent"), listen: loopback,
            connectionLimits: .standard(maximumConnections: 1_000_000))
        XCTAssertEqual(asked.connectionLimits.maximumConnections, budget)
        let modest = AggregatorConfiguration(
            dataDirectory: URL(fileURLWithPath: "/nonexistent"), listen: loopback,
            connectionLimits: .standard(maximumConnections: 16))
        XCTAssertEqual(modest.connectionLimits.maximumConnections, 16)
        XCTAssertEqual(
            ConnectionLimits.defaultMaximumConnections(listeners: 2), min(4_096, budget),
            "the default is the budget, at most 4,096")
    }

    func test_theBudget_leavesDescriptorsForTheProcess() {
        var limit = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit), 0)
        let soft = Int(min(limit.rlim_cur, rlim_t(Int32.max)))
        let listeners = 3
        XCTAssertLessThanOrEqual(
            ConnectionLimits.descriptorBudget(listeners: listeners) * listeners, max(16 * listeners, soft - 256))
    }
}
