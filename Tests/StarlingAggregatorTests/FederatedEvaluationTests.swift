import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// A plain evaluation run over HTTPS: the devices' checked figures are combined, kept with the
/// version they measured and shown by the versions listing.
final class FederatedEvaluationTests: XCTestCase {
    func test_plainEvaluation_keepsTheCombinedFiguresWithTheVersion_andRefusesInconsistentOnes() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "judge", architecture: "4-3-3", seed: 5))
        let devices = [try await aggregator.enroll(), try await aggregator.enroll()]
        for device in devices { _ = try await device.watch(sampleCount: 40) }

        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminEvaluations,
            json: EvaluateRequest(
                model: "judge", clients: 2, minClients: 2, deadlineSeconds: 30, secureAggregation: false, seed: 8))
        XCTAssertEqual(run.kind, .evaluate)
        XCTAssertEqual(run.totalRounds, 1)
        XCTAssertFalse(run.secureAggregation)
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        for task in tasks {
            XCTAssertEqual(task.kind, .evaluate)
            XCTAssertEqual(task.baseVersion, 1)
            XCTAssertNil(task.training, "an evaluation trains nothing")
            XCTAssertNil(task.statistics)
        }

        let path = APIPath.deviceEvaluation(runId: run.id, round: 1)
        let first = [[3, 1, 0], [0, 4, 0], [1, 0, 1]]
        await assertAPIError(status: 400, code: "invalid_evaluation") {
            try await devices[0].client.post(
                path, json: EvaluationFigures(samples: 12, accuracy: 0.8, loss: 0.5, confusion: first),
                as: UpdateReceipt.self)
        }
        await assertAPIError(status: 400, code: "invalid_evaluation") {
            try await devices[0].client.post(
                path, json: EvaluationFigures(samples: 10, accuracy: 0.6, loss: 0.5, confusion: first),
                as: UpdateReceipt.self)
        }
        await assertAPIError(status: 409, code: "wrong_contribution") {
            try await devices[0].client.post(
                APIPath.deviceUpdate(runId: run.id, round: 1),
                bytes: UpdateBody.make(try ModelArchitecture(parsing: "4-3-3"), value: 0.1), as: UpdateReceipt.self)
        }
        let accepted: UpdateReceipt = try await devices[0].client.post(
            path, json: EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: first))
        XCTAssertTrue(accepted.accepted)
        let second = [[10, 0, 0], [0, 9, 1], [0, 0, 10]]
        let _: UpdateReceipt = try await devices[1].client.post(
            path, json: EvaluationFigures(samples: 30, accuracy: 29.0 / 30, loss: 0.2, confusion: second))

        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertNil(finished.rounds.first?.producedVersion, "an evaluation makes no version")
        let evaluation = try XCTUnwrap(finished.evaluation)
        XCTAssertEqual(evaluation.model, "judge")
        XCTAssertEqual(evaluation.version, 1)
        XCTAssertEqual(evaluation.runId, run.id)
        XCTAssertEqual(evaluation.devices, 2)
        XCTAssertFalse(evaluation.secureAggregation)
        XCTAssertEqual(evaluation.figures.samples, 40)
        XCTAssertEqual(evaluation.figures.accuracy, 37.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(evaluation.figures.loss), (10 * 0.5 + 30 * 0.2) / 40, accuracy: 1e-12)
        XCTAssertEqual(evaluation.figures.confusion, [[13, 1, 0], [0, 13, 1], [1, 0, 11]])

        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "judge"))
        XCTAssertEqual(versions.versions.count, 1)
        XCTAssertEqual(versions.versions.first?.evaluation?.runId, run.id)
        XCTAssertEqual(versions.versions.first?.evaluation?.figures, evaluation.figures)

        await assertAPIError(status: 409, code: "round_closed") {
            try await devices[0].client.post(
                path, json: EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: first),
                as: UpdateReceipt.self)
        }
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    func test_evaluatingAVersionThatDoesNotExist_isRefused() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "judge", architecture: "4-3", seed: 5))
        await assertAPIError(status: 404, code: "version_not_found") {
            try await aggregator.admin.post(
                APIPath.adminEvaluations, json: EvaluateRequest(model: "judge", version: 7), as: RunInfo.self)
        }
        await assertAPIError(status: 404, code: "model_not_found") {
            try await aggregator.admin.post(
                APIPath.adminEvaluations, json: EvaluateRequest(model: "nobody"), as: RunInfo.self)
        }
        try await aggregator.stop()
    }
}
