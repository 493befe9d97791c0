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
        _ = try await admin.importModel(safetensors: trained.encoded(), name: "fleet")
        // The same weights with the class names rotated: every answer names the wrong digit.
        var rotated = trained.manifest
        rotated.labels = Array(rotated.labels.dropFirst()) + [rotated.labels[0]]
        let broken = try await admin.importModel(
            safetensors: try ModelBundle(manifest: rotated, model: trained.model).encoded(), name: "fleet")
        let good = try await admin.importModel(safetensors: trained.encoded(), name: "fleet")
        try await aggregator.startAgents(10, rows: 150)

        let base = try await admin.deploy(CreateDeploymentRequest(model: "fleet", version: 1, selector: .all))
        _ = try await aggregator.deployment(base.id) { $0.state == .completed && $0.counts.installed == 10 }
        try await aggregator.waitForFleet(of: 10, running: "fleet", version: 1)

        let canary = try await admin.deploy(
            CreateDeploymentRequest(
                model: "fleet", version: broken.version, selector: .all, strategy: .canary, waves: [20, 50, 100],
                bakeSeconds: 1))
        let halted = try await aggregator.deployment(canary.id) { $0.state != .running }
        XCTAssertEqual(halted.state, .halted, halted.reason ?? "")
        XCTAssertTrue(halted.reason?.contains("accuracy") ?? false, halted.reason ?? "")
        XCTAssertEqual(halted.counts.rolledBack, 2, "the first wave is 20 % of 10, and only it was touched")
        XCTAssertEqual(halted.counts.waiting, 8)
        try await aggregator.waitForFleet(of: 10, running: "fleet", version: 1)
        let history = try await admin.deploymentEvents(id: canary.id).map(\.message)
        XCTAssertTrue(history.contains { $0.contains("Halted") }, "\(history)")

        let rollout = try await admin.deploy(
            CreateDeploymentRequest(
                model: "fleet", version: good.version, selector: .all, strategy: .canary, waves: [20, 50, 100],
                bakeSeconds: 1))
        let completed = try await aggregator.deployment(rollout.id) { $0.state != .running }
        XCTAssertEqual(completed.state, .completed, completed.reason ?? "")
        try await aggregator.waitForFleet(of: 10, running: "fleet", version: good.version)
        let waves = try await admin.deploymentEvents(id: rollout.id).map(\.message).filter { $0.contains("ave") }
        XCTAssertGreaterThanOrEqual(waves.count, 3, "every wave is recorded: \(waves)")
    }
}
