import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A buffered asynchronous run (FedBuff) over HTTPS with devices driven by hand: tasks go to every
/// device at once, every `buffer` updates make a version, an update trained from an older version
/// lands in the newest buffer counting 1/√(1 + staleness) of its weight, and one too far behind is
/// refused.
final class BufferedRunTests: XCTestCase {
    func test_aBufferedRun_makesAVersionEveryBuffer_andWeighsALateUpdateByItsStaleness() async throws {
        let aggregator = try await TestAggregator.start(deadline: 600)
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let devices = try await aggregator.modelWithWatchingDevices("buffered", count: 3)
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "buffered", clients: 3, minClients: 1, rounds: 2, deadlineSeconds: 600, seed: 1,
                secureAggregation: false, mode: .async, buffer: 2, maxStaleness: 1))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        XCTAssertEqual(tasks.map(\.round), [1, 1, 1], "three devices train at once from version 1")
        XCTAssertEqual(tasks.map(\.baseVersion), [1, 1, 1])

        for (device, value) in zip(devices.prefix(2), [Float(0.1), 0.3]) {
            let _: UpdateReceipt = try await device.client.post(
                APIPath.deviceUpdate(runId: run.id, round: 1), bytes: UpdateBody.make(architecture, value: value))
        }
        try await waitForRound(2, of: run.id, aggregator)
        // The third device trained from version 1; its update counts in round 2, one version behind.
        let _: UpdateReceipt = try await devices[2].client.post(
            APIPath.deviceUpdate(runId: run.id, round: 1), bytes: UpdateBody.make(architecture, value: 0.2))
        let fresh = try await task(inRound: 2, for: devices[0])
        XCTAssertEqual(fresh.baseVersion, 2)
        let _: UpdateReceipt = try await devices[0].client.post(
            APIPath.deviceUpdate(runId: run.id, round: 2), bytes: UpdateBody.make(architecture, value: 0.5))

        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.map(\.producedVersion), [2, 3])
        XCTAssertEqual(finished.rounds.map(\.updatesReceived), [2, 2])
        let second = try await parameters(of: 2, aggregator)
        let third = try await parameters(of: 3, aggregator)
        // FedBuff's step: Σ wᵢsᵢΔᵢ / Σ wᵢ, the late update counting 1/√2 of its weight.
        let lateWeight = 1 / Double(2).squareRoot()
        let expected = (lateWeight * 0.2 + 0.5) / 2
        for (before, after) in zip(second, third) {
            XCTAssertEqual(Double(after - before), expected, accuracy: 1e-3)
        }
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    func test_anUpdateTooFarBehind_isRefusedAsStale_andTheDeviceGetsANewTask() async throws {
        let aggregator = try await TestAggregator.start(deadline: 600)
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let devices = try await aggregator.modelWithWatchingDevices("late", count: 2)
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "late", clients: 2, minClients: 1, rounds: 3, deadlineSeconds: 600, seed: 1,
                secureAggregation: false, mode: .async, buffer: 1, maxStaleness: 0))
        for device in devices { _ = try await device.nextTask() }
        let _: UpdateReceipt = try await devices[0].client.post(
            APIPath.deviceUpdate(runId: run.id, round: 1), bytes: UpdateBody.make(architecture, value: 0.1))
        try await waitForRound(2, of: run.id, aggregator)
        await assertAPIError(status: 409, code: "update_too_stale") {
            try await devices[1].client.post(
                APIPath.deviceUpdate(runId: run.id, round: 1), bytes: UpdateBody.make(architecture, value: 0.1),
                as: UpdateReceipt.self)
        }
        let renewed = try await task(inRound: 2, for: devices[1])
        XCTAssertEqual(renewed.baseVersion, 2, "the device trains again from the newest version")
        // Under SecAgg+ each buffer is a group of `buffer` devices training at once: one device cannot hold one.
        await assertAPIError(status: 400, code: "invalid_run") {
            let _: RunInfo = try await aggregator.admin.post(
                APIPath.adminRuns,
                json: StartRunRequest(
                    model: "late", clients: 1, minClients: 1, rounds: 1, mode: .async, buffer: 2))
        }
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    private func waitForRound(_ round: Int, of run: String, _ aggregator: TestAggregator) async throws {
        let admin = aggregator.admin
        _ = try await Wait.until(
            "run \(run) to reach round \(round)", timeout: .seconds(30), interval: .milliseconds(20)
        ) {
            let info: RunInfo? = try? await admin.get(APIPath.adminRun(id: run))
            return (info?.rounds.count ?? 0) >= round ? true : nil
        }
    }

    private func task(inRound round: Int, for device: TestDevice) async throws -> RoundTask {
        try await Wait.until("a task of round \(round)", timeout: .seconds(30), interval: .milliseconds(20)) {
            (try? await device.watch())?.rounds.first { $0.round == round }
        }
    }

    private func parameters(of version: Int, _ aggregator: TestAggregator) async throws -> [Float] {
        let bytes = try await aggregator.admin.getBytes(APIPath.adminWeights(model: "buffered", version: version))
        return try ModelBundle(decoding: bytes).model.parameters
    }
}
