import Foundation
import StarlingAdmin
import StarlingProtocol
import XCTest

/// A device that is switched off while a rollout runs converges when it comes back, with real agent
/// processes: the rollout neither fails it nor forgets it, and once the agent runs again on its
/// data folder it installs the version, reports it, and the rollout completes.
final class OfflineConvergenceTests: XCTestCase {
    func test_anAgentStoppedDuringARollout_installsTheVersionOnReconnect_andTheRolloutCompletes() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = aggregator.admin
        _ = try await admin.createModel(CreateModelRequest(name: "fleet", architecture: "64-32-10", seed: 1))
        let next = try await admin.importModel(
            safetensors: try await admin.weights(model: "fleet", version: 1), name: "fleet")
        try await aggregator.startAgents(3, rows: 40)
        let first = try await admin.deploy(CreateDeploymentRequest(model: "fleet", version: 1, selector: .all))
        _ = try await aggregator.deployment(first.id) { $0.state == .completed && $0.counts.installed == 3 }

        let member = await aggregator.fleet.processes.member(named: "agent-2")
        let offline = try XCTUnwrap(member)
        _ = await offline.terminate()
        let rollout = try await admin.deploy(
            CreateDeploymentRequest(model: "fleet", version: next.version, selector: .all))
        let waiting = try await aggregator.deployment(rollout.id) { $0.counts.installed == 2 }
        XCTAssertEqual(waiting.state, .running, "the rollout waits for the device that is off")
        XCTAssertEqual(waiting.counts.pending, 1)
        XCTAssertEqual(waiting.counts.failed, 0, "a device that is off has not failed")

        try? FileManager.default.removeItem(at: aggregator.fleet.agentDirectory(2).appendingPathComponent("agent.json"))
        let token = try await admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1))
        _ = try await aggregator.fleet.startAgent(
            2, endpoints: aggregator.endpoints, token: token.token, tags: [])
        let completed = try await aggregator.deployment(rollout.id) { $0.state == .completed }
        XCTAssertEqual(completed.counts.installed, 3)
        XCTAssertEqual(completed.targeted, 3, "the device came back as itself, not as a new enrollment")
        try await aggregator.waitForFleet(of: 3, running: "fleet", version: next.version)
    }
}
