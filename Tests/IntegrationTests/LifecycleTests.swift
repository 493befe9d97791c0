import Foundation
import StarlingProtocol
import StarlingTransport
import XCTest

/// Daemons stop cleanly on SIGTERM and an agent keeps its identity across restarts.
final class LifecycleTests: XCTestCase {
    func test_agentAndAggregator_exitZeroOnSIGTERM_andAgentReenrollsNever() async throws {
        let aggregator = try await AggregatorHarness.start()
        let csv = try TestData.digitsSlice(0..<60, in: aggregator.folder, name: "slice.csv")
        let apiURL = try await aggregator.startAgent(0, csv: csv)
        try await aggregator.waitForOnlineDevices(1)
        let local = StarlingHTTPClient(baseURL: apiURL, tls: nil)
        let status: AgentStatus = try await local.get(APIPath.agentStatus)
        XCTAssertEqual(status.sampleCount, 60)
        await local.shutdown()

        await aggregator.admin.shutdown()
        let unclean = await aggregator.fleet.stop()
        XCTAssertTrue(unclean.isEmpty, "\(unclean)")

        let restarted = try await AggregatorHarness(fleet: aggregator.fleet, running: aggregator.fleet.startAggregator())
        let token = "enr_spent-or-absent"
        _ = try await restarted.fleet.startAgent(0, endpoints: restarted.endpoints, token: token, tags: [])
        try await restarted.waitForOnlineDevices(1)
        let devices = try await restarted.admin.devices()
        XCTAssertEqual(devices.map(\.id), [status.deviceId])
        await restarted.stop()
    }
}
