import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// When a round's result is recorded the next round starts at once, and the devices' held watches
/// are answered once, with the next round's task in the answer: not once for the result and again,
/// a tick later, for the new task (a fleet would ask again twice a round).
final class NextRoundHandoverTests: XCTestCase {
    func test_aRoundsEnd_answersAHeldWatchOnce_withTheNextRoundsTask() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "relay", architecture: "4-3-2", seed: 5))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "relay", version: 1)))
        let devices = [try await aggregator.enroll(), try await aggregator.enroll()]
        for device in devices { _ = try await device.watch(sampleCount: 40) }
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "relay", clients: 2, minClients: 2, rounds: 2, deadlineSeconds: 60, seed: 4,
                secureAggregation: false))
        for device in devices {
            let task = try await device.nextTask()
            XCTAssertEqual(task.round, 1)
        }
        let state = try await devices[0].watch(sampleCount: 40)
        XCTAssertEqual(state.rounds.map(\.round), [1])
        let held = Task { try await devices[0].watch(revision: state.revision, sampleCount: 40, wait: 55) }
        _ = try await Wait.until("the watch to be held", timeout: .seconds(30)) {
            await aggregator.broadcasterWaiters == 1 ? true : nil
        }
        for device in devices {
            let _: UpdateReceipt = try await device.client.post(
                APIPath.deviceUpdate(runId: run.id, round: 1),
                bytes: UpdateBody.make(base.manifest.architecture, value: 0.1))
        }
        let answer = try await held.value
        XCTAssertEqual(
            answer.rounds.map(\.round), [2], "the answer that tells of round 1's end carries round 2's task")
        let info: RunInfo = try await aggregator.admin.get(APIPath.adminRun(id: run.id))
        XCTAssertEqual(info.rounds.first { $0.round == 1 }?.producedVersion, 2)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }
}
