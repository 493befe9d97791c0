import Foundation
import StarlingProtocol
import StarlingTransport
import XCTest

/// Daemons stop cleanly on SIGTERM and an agent keeps its identity across restarts.
final class LifecycleTests: XCTestCase {
    func test_agentAndAggregator_exitZeroOnSIGTERM_andAgentNeverEnrollsTwice() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let csv = try TestData.digitsSlice(0..<60, in: aggregator.folder, name: "slice.csv")
        let apiURL = try await aggregator.startAgent(0, csv: csv)
        try await aggregator.waitForOnlineDevices(1)
        let status: AgentStatus = try await aggregator.client(baseURL: apiURL, tls: nil).get(APIPath.agentStatus)
        XCTAssertEqual(status.sampleCount, 60)

        let unclean = await aggregator.stop()
        XCTAssertTrue(unclean.isEmpty, "\(unclean)")

        let restarted = try await aggregator.restart(for: self)
        _ = try await restarted.fleet.startAgent(
            0, endpoints: restarted.endpoints, token: "enr_spent-or-absent", tags: [])
        try await restarted.waitForOnlineDevices(1)
        let devices = try await restarted.admin.devices()
        XCTAssertEqual(devices.map(\.id), [status.deviceId])
    }
}
