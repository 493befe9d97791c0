import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

/// Seeded feature statistics of simulated devices, and a plain collection that turns them into a
/// registered feature profile.
enum StatisticsFixtures {
    /// `rows` samples of `width` features: feature j is drawn from a band of its own (j = 0 signed
    /// around zero, then growing magnitudes), with some exact zeros.
    static func statistics(seed: UInt64, rows: Int, width: Int) -> FeatureStatistics {
        var rng = SeededRNG(seed: seed)
        var features: [Float] = []
        for _ in 0..<rows {
            for j in 0..<width {
                let value = Float.random(in: -1...1, using: &rng) * Float(j + 1) * 3 + Float(j * j)
                features.append(Float.random(in: 0..<1, using: &rng) < 0.1 ? 0 : value)
            }
        }
        var statistics = FeatureStatistics(width: width)
        statistics.add(features: features, rows: rows)
        return statistics
    }

    /// The devices' statistics merged, as the fleet total they stand for.
    static func merged(_ all: [FeatureStatistics]) throws -> FeatureStatistics {
        var total = FeatureStatistics(width: all[0].width, grid: all[0].grid)
        for statistics in all { try total.merge(statistics) }
        return total
    }

    /// Collects profile `name` over `width` features from three new devices without secure
    /// aggregation; returns the finished run and the statistics the devices sent.
    static func collect(
        _ name: String, width: Int, on aggregator: TestAggregator, seed: UInt64 = 40
    ) async throws -> (RunInfo, [FeatureStatistics]) {
        var devices: [TestDevice] = []
        for _ in 0..<3 { devices.append(try await aggregator.enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 50) }
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminProfiles,
            json: CollectStatisticsRequest(
                name: name, width: width, clients: 3, minDevices: 3, deadlineSeconds: 30, secureAggregation: false,
                seed: seed))
        var sent: [FeatureStatistics] = []
        for (index, device) in devices.enumerated() {
            let task = try await device.nextTask()
            let statistics = statistics(seed: seed &+ UInt64(index), rows: 40 + 10 * index, width: width)
            let _: UpdateReceipt = try await device.client.post(
                APIPath.deviceStatistics(runId: task.runId, round: task.round),
                bytes: statistics.safetensors())
            sent.append(statistics)
        }
        let finished = try await waitForEnd(of: run.id, aggregator)
        for device in devices { await device.client.shutdown() }
        return (finished, sent)
    }
}
