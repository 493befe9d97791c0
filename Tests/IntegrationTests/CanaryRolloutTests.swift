import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import XCTest

/// Canary rollouts over ten real agent processes: a version whose smoke-test accuracy collapses
/// halts in the first wave and the devices it touched go back to the version they ran; a good
/// version then walks every wave to the whole fleet.
final class CanaryRolloutTests: XCTestCase {
    func test_brokenVersion_haltsInTheFirstWaveAndRollsBack_thenAGoodVersionCompletesEveryWave() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = aggregator.admin
        let trained = try TrainedDigits.bundle()
        _ = try await admin.importModel(safetensors: try trained.encoded(), name: "fleet")
        // The same weights with the class names rotated: every answer names the wrong digit.
        var rotated = trained.manifest
        rotated.labels = Array(rotated.labels.dropFirst()) + [rotated.labels[0]]
        let broken = try await admin.importModel(
            safetensors: try ModelBundle(manifest: rotated, model: trained.model).encoded(), name: "fleet")
        let good = try await admin.importModel(safetensors: try trained.encoded(), name: "fleet")
        for index in 0..<10 {
            let csv = try TestData.digitsSlice(index * 150..<(index + 1) * 150, in: aggregator.folder, name: "agent-\(index).csv")
            _ = try await aggregator.startAgent(index, csv: csv)
        }
        try await aggregator.waitForOnlineDevices(10)

        let base = try await admin.deploy(CreateDeploymentRequest(model: "fleet", version: 1, selector: .all))
        _ = try await finished(base.id, admin) { $0.state == .completed && $0.counts.installed == 10 }
        try await waitForFleet(running: 1, admin)

        let canary = try await admin.deploy(
            CreateDeploymentRequest(
                model: "fleet", version: broken.version, selector: .all, strategy: .canary, waves: [20, 50, 100],
                bakeSeconds: 1))
        let halted = try await finished(canary.id, admin) { $0.state != .running }
        XCTAssertEqual(halted.state, .halted, halted.reason ?? "")
        XCTAssertTrue(halted.reason?.contains("accuracy") ?? false, halted.reason ?? "")
        XCTAssertEqual(halted.counts.rolledBack, 2, "the first wave is 20 % of 10, and only it was touched")
        XCTAssertEqual(halted.counts.waiting, 8)
        try await waitForFleet(running: 1, admin)
        let history = try await admin.deploymentEvents(id: canary.id).map(\.message)
        XCTAssertTrue(history.contains { $0.contains("Halted") }, "\(history)")

        let rollout = try await admin.deploy(
            CreateDeploymentRequest(
                model: "fleet", version: good.version, selector: .all, strategy: .canary, waves: [20, 50, 100],
                bakeSeconds: 1))
        let completed = try await finished(rollout.id, admin) { $0.state != .running }
        XCTAssertEqual(completed.state, .completed, completed.reason ?? "")
        try await waitForFleet(running: good.version, admin)
        let waves = try await admin.deploymentEvents(id: rollout.id).map(\.message).filter { $0.contains("ave") }
        XCTAssertGreaterThanOrEqual(waves.count, 3, "every wave is recorded: \(waves)")
    }

    private func finished(
        _ id: String, _ admin: AdminClient, _ condition: @escaping @Sendable (DeploymentInfo) -> Bool
    ) async throws -> DeploymentInfo {
        try await Wait.until("deployment \(id) to settle", timeout: .seconds(90), interval: .milliseconds(100)) {
            guard let info = try? await admin.deployment(id: id), condition(info) else { return nil as DeploymentInfo? }
            return info
        }
    }

    /// Waits until every device's heartbeat says it runs `fleet@version`.
    private func waitForFleet(running version: Int, _ admin: AdminClient) async throws {
        _ = try await Wait.until("all ten agents to run fleet@\(version)", timeout: .seconds(60), interval: .milliseconds(100)) {
            let devices = (try? await admin.devices()) ?? []
            return devices.count == 10 && devices.allSatisfy { $0.runningModel == "fleet@\(version)" } ? true : nil
        }
    }
}
