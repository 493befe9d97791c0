import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// Robust aggregation over plain updates: with two of seven devices sending a ×100-scaled and a
/// sign-flipped delta, the median and the trimmed mean stay with the five honest devices while the
/// mean is dragged away; a robust rule is refused under secure aggregation.
final class RobustAggregationRoundTests: XCTestCase {
    private let architecture = "4-3-2"

    /// Each honest device's delta is the shared direction plus its own small seeded noise.
    private func honestDeltas(count: Int, parameters: Int) -> (direction: [Float], deltas: [[Float]]) {
        var rng = SeededRNG(seed: 1337)
        let direction = (0..<parameters).map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        let deltas = (0..<count).map { _ in direction.map { $0 + Float.random(in: -0.01...0.01, using: &rng) } }
        return (direction, deltas)
    }

    /// Runs one plain round of seven devices under `rule` and returns the new version's delta from
    /// the base and the honest devices' shared direction.
    private func round(_ rule: AggregationRule) async throws -> (moved: [Float], honest: [Float]) {
        let aggregator = try await TestAggregator.start()
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "robust", architecture: architecture, seed: 9))
        XCTAssertEqual(created.version, 1)
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "robust", version: 1)))
        let model = base.manifest.architecture
        var devices: [TestDevice] = []
        for _ in 0..<7 { devices.append(try await aggregator.enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 50) }
        let started: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "robust", clients: 7, minClients: 7, rounds: 1, deadlineSeconds: 60, seed: 2,
                secureAggregation: false, serverOptimizer: .defaults(for: .fedavg), aggregation: rule))
        for device in devices { _ = try await device.nextTask() }

        let (direction, honest) = honestDeltas(count: 5, parameters: model.parameterCount)
        let path = APIPath.deviceUpdate(runId: started.id, round: 1)
        for (device, delta) in zip(devices, honest) {
            let _: UpdateReceipt = try await device.client.post(
                path, bytes: UpdateBody.make(model, delta: delta, trainSamples: 50))
        }
        // The faulty pair claims many samples, which sways only the weighted mean.
        let scaled = honest[0].map { $0 * 100 }
        let flipped = honest[1].map { -$0 }
        let _: UpdateReceipt = try await devices[5].client.post(
            path, bytes: UpdateBody.make(model, delta: scaled, trainSamples: 500))
        let _: UpdateReceipt = try await devices[6].client.post(
            path, bytes: UpdateBody.make(model, delta: flipped, trainSamples: 500))

        let finished = try await waitForEnd(of: started.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let produced = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "robust", version: 2)))
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
        return (zip(produced.model.parameters, base.model.parameters).map { $0 - $1 }, direction)
    }

    private func largestGap(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    func test_median_staysWithTheHonestDevices() async throws {
        let (moved, honest) = try await round(.median)
        XCTAssertLessThan(largestGap(moved, honest), 0.011, "within the honest devices' own spread")
    }

    func test_trimmedMean_staysWithTheHonestDevices() async throws {
        let (moved, honest) = try await round(.trimmedMean(trim: 0.3))
        XCTAssertLessThan(largestGap(moved, honest), 0.011, "within the honest devices' own spread")
    }

    func test_mean_isDraggedFarByTheFaultyPair() async throws {
        let (moved, honest) = try await round(.mean)
        XCTAssertGreaterThan(largestGap(moved, honest), 1, "the weighted mean follows the ×100 deltas")
    }

    func test_aRobustRuleUnderSecureAggregation_isRefused() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "robust", architecture: architecture, seed: 9))
        for rule in [AggregationRule.median, .trimmedMean(trim: 0.2)] {
            await assertAPIError(status: 400, code: "aggregation_needs_plain_updates") {
                try await aggregator.admin.post(
                    APIPath.adminRuns,
                    json: StartRunRequest(model: "robust", clients: 3, minClients: 3, rounds: 1, aggregation: rule),
                    as: RunInfo.self)
            }
        }
        try await aggregator.stop()
    }
}
