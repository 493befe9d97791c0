import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

/// Bad updates are refused with a clear code while the round goes on and completes.
final class UpdateValidationTests: XCTestCase {
    func test_badUpdates_areRefused_andTheRoundStillCompletes() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let created = try await aggregator.admin.createModel(
            CreateModelRequest(name: "it", architecture: "64-8-10", seed: 3))
        let member = try await aggregator.enrollDevice()
        _ = try await member.watch()
        let round = try await aggregator.admin.startRun(
            StartRunRequest(
                model: "it", clients: 1, minClients: 1, localEpochs: 1, learningRate: 0.1, rounds: 1,
                deadlineSeconds: 30, seed: 1, secureAggregation: false))
        let task = try await Wait.until("the round task", timeout: .seconds(20), interval: .milliseconds(100)) {
            try? await member.watch().rounds.first
        }
        XCTAssertEqual(task.runId, round.id)
        XCTAssertEqual(task.baseVersion, created.version)
        let outsider = try await aggregator.enrollDevice()
        _ = try await outsider.watch()
        let path = APIPath.deviceUpdate(runId: task.runId, round: task.round)
        let architecture = try ModelArchitecture(parsing: "64-8-10")

        await assertAPIError(status: 403, code: "not_in_cohort") {
            try await outsider.client.post(
                path, bytes: UpdateBody.make(architecture, value: 0.01), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 400, code: "update_shape_mismatch") {
            try await member.client.post(
                path, bytes: UpdateBody.make(try ModelArchitecture(parsing: "64-9-10"), value: 0.01),
                as: UpdateReceipt.self)
        }
        await assertAPIError(status: 400, code: "update_not_finite") {
            try await member.client.post(
                path, bytes: UpdateBody.make(architecture, value: .nan), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 413, code: "body_too_large") {
            try await member.client.post(
                path, bytes: [UInt8](repeating: 0, count: BodyLimit.modelArtifact + 1), as: UpdateReceipt.self)
        }
        let receipt: UpdateReceipt = try await member.client.post(
            path, bytes: UpdateBody.make(architecture, value: 0.01))
        XCTAssertTrue(receipt.accepted)

        let finished = try await Wait.until("the round to end", timeout: .seconds(30), interval: .milliseconds(100)) {
            guard let info = try? await aggregator.admin.run(id: round.id), info.state.isFinal else {
                return nil as RunInfo?
            }
            return info
        }
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let versions = try await aggregator.admin.versions(model: "it")
        let produced = try XCTUnwrap(versions.last)
        XCTAssertEqual(produced.version, 2)
        XCTAssertEqual(produced.source, .round)
        XCTAssertEqual(
            produced.lineage, VersionLineage(parentVersion: 1, runId: round.id, round: 1, cohortSize: 1))
        XCTAssertEqual(produced.metrics.trainSamples, 50)
    }
}
