import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A two-round plain run with FedAdam on the server: each version is the optimizer's step on the
/// round's average delta, its moments carry from round to round, and the state is in the database
/// for a restarted aggregator to continue with.
final class ServerOptimizerRoundTests: XCTestCase {
    func test_fedAdamOverTwoRounds_matchesTheOptimizerStepByStep_andStoresItsState() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "adam", architecture: "4-3-2", seed: 17))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "adam", version: 1)))
        let model = base.manifest.architecture
        let devices = [try await aggregator.enroll(), try await aggregator.enroll()]
        for device in devices { _ = try await device.watch(sampleCount: 40) }
        let configuration = ServerOptimizerConfiguration.defaults(for: .fedadam)
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "adam", clients: 2, minClients: 2, rounds: 2, deadlineSeconds: 60, seed: 6,
                secureAggregation: false,
                serverOptimizer: configuration))

        var rng = SeededRNG(seed: 99)
        let samples = [30, 10]
        var optimizer = try ServerOptimizer(configuration: configuration)
        var expected = base.model.parameters
        for round in 1...2 {
            let deltas = (0..<2).map { _ in
                (0..<model.parameterCount).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
            }
            for (index, device) in devices.enumerated() {
                let task = try await nextTask(of: device, round: round)
                XCTAssertEqual(task.baseVersion, round)
                let _: UpdateReceipt = try await device.client.post(
                    APIPath.deviceUpdate(runId: run.id, round: round),
                    bytes: UpdateBody.make(model, delta: deltas[index], trainSamples: samples[index]))
            }
            let average = try RobustAggregation.aggregate(
                (0..<2).map { (weight: samples[$0], delta: deltas[$0]) }, rule: .mean)
            expected = try optimizer.step(parameters: expected, averageDelta: average)
            let version = try await produced(round + 1, of: run.id, on: aggregator)
            let got = try ModelBundle(
                decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "adam", version: version)))
            XCTAssertEqual(got.model.parameters.count, expected.count)
            for (value, want) in zip(got.model.parameters, expected) { XCTAssertEqual(value, want, accuracy: 1e-5) }
        }
        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.map(\.producedVersion), [2, 3])

        let stored = try await RunStore(
            engine: try aggregator.openStorage().engine, leadership: Leadership(replica: "test")
        ).optimizerState(runId: run.id)
        XCTAssertEqual(stored?.step, 2)
        XCTAssertEqual(stored, optimizer.state)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop(removingFolder: false)

        let reopened = try await RunStore(
            engine: try aggregator.openStorage().engine, leadership: Leadership(replica: "test")
        ).optimizerState(runId: run.id)
        XCTAssertEqual(reopened?.step, 2)
        XCTAssertEqual(reopened, optimizer.state)
        try? FileManager.default.removeItem(at: aggregator.folder)
    }

    /// Long-polls until `device` has the task of the run's `round`.
    private func nextTask(of device: TestDevice, round: Int) async throws -> RoundTask {
        var revision = ""
        return try await Wait.until("the task of round \(round)", timeout: .seconds(30), interval: .zero) {
            guard let state = try? await device.watch(revision: revision, wait: revision.isEmpty ? 0 : 10) else {
                return nil as RoundTask?
            }
            revision = state.revision
            return state.rounds.first { $0.round == round }
        }
    }

    /// Waits until the run's round producing version `version` has it, and returns it.
    private func produced(_ version: Int, of runID: String, on aggregator: TestAggregator) async throws -> Int {
        let admin = aggregator.admin
        let info = try await Wait.until(
            "version \(version) of run \(runID)", timeout: .seconds(30), interval: .milliseconds(20)
        ) {
            guard let info: RunInfo = try? await admin.get(APIPath.adminRun(id: runID)),
                info.state == .failed || info.rounds.contains(where: { $0.producedVersion == version })
            else { return nil as RunInfo? }
            return info
        }
        XCTAssertNotEqual(info.state, .failed, "the run failed: \(info.failureReason ?? "")")
        return version
    }
}
