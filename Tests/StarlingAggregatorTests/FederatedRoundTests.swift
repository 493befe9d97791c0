import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A whole federated round over HTTPS with two simulated devices, then deployment and refinement.
final class FederatedRoundTests: XCTestCase {
    func test_twoDevicesPostingDeltas_produceVersion2WithFedAvgWeightsAndLineage() async throws {
        let aggregator = try await TestAggregator.start()
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "tiny", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "tiny", version: 1)))
        let first = try await aggregator.enroll(tags: [Tag(key: "zone", value: "lab")])
        let second = try await aggregator.enroll(tags: [Tag(key: "zone", value: "lab")])
        _ = try await first.watch(sampleCount: 30)
        _ = try await second.watch(sampleCount: 10)

        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "tiny", clients: 2, minClients: 2, localEpochs: 1, learningRate: 0.05, rounds: 1,
                deadlineSeconds: 30, selector: .tags([Tag(key: "zone", value: "lab")]), seed: 11,
                secureAggregation: false, serverOptimizer: .defaults(for: .fedavg)))
        XCTAssertEqual(round.state, .waiting)
        async let firstTask = first.nextTask()
        async let secondTask = second.nextTask()
        let tasks = try await [firstTask, secondTask]
        XCTAssertEqual(tasks.map(\.baseVersion), [1, 1])
        XCTAssertEqual(tasks.map(\.sha256), [created.sha256, created.sha256])
        let device: [UInt8] = try await first.client.getBytes(APIPath.deviceWeights(model: "tiny", version: 1))
        XCTAssertEqual(Secrets.sha256(device), created.sha256)

        let architecture = base.manifest.architecture
        let path = APIPath.deviceUpdate(runId: round.id, round: 1)
        let _: UpdateReceipt = try await first.client.post(
            path, bytes: UpdateBody.make(architecture, value: 0.1, trainSamples: 30, evalAccuracy: 0.5))
        let _: UpdateReceipt = try await second.client.post(
            path, bytes: UpdateBody.make(architecture, value: 0.5, trainSamples: 10, evalAccuracy: 0.9))

        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 2)
        XCTAssertEqual(finished.rounds.first?.producedVersion, 2)
        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "tiny"))
        let produced = try XCTUnwrap(versions.versions.last)
        XCTAssertEqual(produced.version, 2)
        XCTAssertEqual(produced.source, .round)
        XCTAssertEqual(
            produced.lineage, VersionLineage(parentVersion: 1, runId: round.id, round: 1, cohortSize: 2))
        XCTAssertEqual(produced.metrics.trainSamples, 40)
        XCTAssertEqual(produced.metrics.evalAccuracy ?? 0, 0.7, accuracy: 1e-9)

        // (30·0.1 + 10·0.5) / 40 = 0.2 added to every parameter.
        let bytes = try await aggregator.admin.getBytes(APIPath.adminWeights(model: "tiny", version: 2))
        let bundle = try ModelBundle(decoding: bytes)
        XCTAssertEqual(bundle.manifest.version, 2)
        for (new, old) in zip(bundle.model.parameters, base.model.parameters) {
            XCTAssertEqual(new, old + 0.2, accuracy: 1e-5)
        }
        await first.client.shutdown()
        await second.client.shutdown()
        try await aggregator.stop()
    }

    func test_deployment_reachesMatchingDevicesThroughTheirWatch_andCountsReports() async throws {
        let aggregator = try await TestAggregator.start()
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "dep", architecture: "4-2", seed: 1))
        let device = try await aggregator.enroll(tags: [Tag(key: "site", value: "a")])
        let other = try await aggregator.enroll(tags: [Tag(key: "site", value: "b")])
        let before = try await device.watch()
        async let changed = device.watch(revision: before.revision, wait: 20)

        let deployment: DeploymentInfo = try await aggregator.admin.post(
            APIPath.adminDeployments,
            json: CreateDeploymentRequest(model: "dep", version: 1, selector: .tags([Tag(key: "site", value: "a")])))
        XCTAssertEqual(deployment.targeted, 1)
        let state = try await changed
        XCTAssertEqual(
            state.model,
            DesiredModel(
                deploymentId: deployment.id, model: "dep", version: 1, sha256: created.sha256,
                sha256Int8: created.sha256Int8, manifestSha256: created.manifestSha256, signature: created.signature))
        let otherState = try await other.watch()
        XCTAssertNil(otherState.model)

        let _: DeploymentInfo = try await device.client.post(
            APIPath.deviceDeploymentReport(id: deployment.id),
            json: DeploymentReport(state: .installed, model: "dep", version: 1))
        let info: DeploymentInfo = try await aggregator.admin.get(APIPath.adminDeployment(id: deployment.id))
        XCTAssertEqual(info.counts, DeploymentCounts(pending: 0, installed: 1, failed: 0))
        await device.client.shutdown()
        await other.client.shutdown()
        try await aggregator.stop()
    }

    func test_refinement_answersWithTheConfiguredModel_andIs503Unconfigured() async throws {
        let aggregator = try await TestAggregator.start()
        let device = try await aggregator.enroll()
        await assertAPIError(status: 503, code: "refinement_unavailable") {
            try await device.client.post(
                APIPath.refine, json: PredictRequest(key: "k", features: [1, 2, 3, 4]), as: Prediction.self)
        }
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels,
            json: CreateModelRequest(name: "big", architecture: "4-8-3", labels: ["x", "y", "z"], seed: 2))
        let _: RefinementSettings = try await aggregator.admin.put(
            APIPath.adminRefinement, json: RefinementSettings(model: "big"))

        let single: Prediction = try await device.client.post(
            APIPath.refine, json: PredictRequest(key: "k", features: [1, 2, 3, 4]))
        XCTAssertEqual(single.phase, 2)
        XCTAssertEqual(single.modelVersion, "big@1")
        XCTAssertEqual(single.key, "k")
        XCTAssertEqual(single.probabilities.reduce(0, +), 1, accuracy: 1e-5)
        let batch: PredictionBatch = try await aggregator.admin.post(
            APIPath.refine,
            json: PredictBatchRequest(items: [
                PredictRequest(key: "a", features: [0, 0, 0, 0]), PredictRequest(key: "b", features: [1, 1, 1, 1]),
            ]))
        XCTAssertEqual(batch.predictions.map(\.key), ["a", "b"])
        await assertAPIError(status: 400, code: "invalid_features") {
            try await device.client.post(
                APIPath.refine, json: PredictRequest(key: nil, features: [1]), as: Prediction.self)
        }
        await device.client.shutdown()
        try await aggregator.stop()
    }
}
