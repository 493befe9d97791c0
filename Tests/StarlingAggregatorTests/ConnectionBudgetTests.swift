import Foundation
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A connection cap asked for above what the descriptor limit allows is lowered: the public and
/// metrics listeners to their default share, the device listener to what those leave. Connections
/// can never take the descriptors the process itself needs to run.
final class ConnectionBudgetTests: XCTestCase {
    private let loopback = ListenAddress(host: "127.0.0.1", port: 0)

    func test_anAskedCapAboveTheBudget_isLoweredToIt_andOneBelowIsKept() throws {
        let standard = ConnectionLimits.defaultMaximumConnections(listeners: 2)
        let asked = AggregatorConfiguration(
            dataDirectory: URL(fileURLWithPath: "/nonexistent"), listen: loopback,
            connectionLimits: .standard(maximumConnections: 1_000_000))
        XCTAssertEqual(asked.connectionLimits.maximumConnections, standard)
        XCTAssertEqual(
            asked.deviceConnectionLimits.maximumConnections,
            ConnectionLimits.deviceListenerBudget(otherListeners: 1))
        let modest = AggregatorConfiguration(
            dataDirectory: URL(fileURLWithPath: "/nonexistent"), listen: loopback,
            connectionLimits: .standard(maximumConnections: 16))
        XCTAssertEqual(modest.connectionLimits.maximumConnections, 16)
        XCTAssertEqual(modest.deviceConnectionLimits.maximumConnections, 16)
        let unasked = AggregatorConfiguration(dataDirectory: URL(fileURLWithPath: "/nonexistent"), listen: loopback)
        XCTAssertEqual(
            unasked.deviceConnectionLimits.maximumConnections, standard, "by default every listener has the same cap")
    }

    func test_everyListenerAtItsCap_leavesDescriptorsForTheProcess() {
        var limit = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit), 0)
        let soft = Int(min(limit.rlim_cur, rlim_t(Int32.max)))
        for listeners in [2, 3] {
            let others = (listeners - 1) * ConnectionLimits.defaultMaximumConnections(listeners: listeners)
            let device = ConnectionLimits.deviceListenerBudget(otherListeners: listeners - 1)
            XCTAssertLessThanOrEqual(others + device, max(16 * listeners, soft - 256))
            XCTAssertGreaterThanOrEqual(
                device, ConnectionLimits.defaultMaximumConnections(listeners: listeners),
                "the device listener may hold at least an equal share")
        }
    }
}
