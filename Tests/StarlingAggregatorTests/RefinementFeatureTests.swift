import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// Phase two takes only features a `Float` holds, and always answers finite probabilities for them.
final class RefinementFeatureTests: XCTestCase {
    func test_refine_withFeaturesBeyondFloat_answers400InvalidFeatures() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "big", architecture: "4-8-3", seed: 2))
        let _: RefinementSettings = try await aggregator.admin.put(
            APIPath.adminRefinement, json: RefinementSettings(model: "big"))
        let device = try await aggregator.enroll()
        for huge in [1e300, 3.5e38, -3.5e38] {
            await assertAPIError(status: 400, code: "invalid_features") {
                try await device.client.post(
                    APIPath.refine, json: PredictRequest(key: nil, features: [1, huge, 0, 0]), as: Prediction.self)
            }
            await assertAPIError(status: 400, code: "invalid_features") {
                try await aggregator.admin.post(
                    APIPath.refine,
                    json: PredictBatchRequest(items: [
                        PredictRequest(key: "ok", features: [0, 0, 0, 0]),
                        PredictRequest(key: "bad", features: [huge, 0, 0, 0]),
                    ]),
                    as: PredictionBatch.self)
            }
        }
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_refine_withFeaturesAtTheEdgeOfFloat_andHugeWeights_answersFiniteProbabilities() async throws {
        let aggregator = try await TestAggregator.start()
        let architecture = try ModelArchitecture(parsing: "4-8-3")
        let model = try MLP(
            architecture: architecture,
            parameters: MLP(architecture: architecture, seed: 4).parameters.map { $0 * 1e30 })
        let manifest = try ModelManifest(
            name: "loud", version: 1, architecture: architecture, labels: ["x", "y", "z"],
            preprocessing: .identity(featureCount: 4), confidenceThreshold: 0.8)
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModelImport, bytes: try ModelBundle(manifest: manifest, model: .dense(model)).encoded())
        let _: RefinementSettings = try await aggregator.admin.put(
            APIPath.adminRefinement, json: RefinementSettings(model: "loud"))
        let batch: PredictionBatch = try await aggregator.admin.post(
            APIPath.refine,
            json: PredictBatchRequest(items: [
                PredictRequest(key: "a", features: [3e38, -3e38, 3e38, -3e38]),
                PredictRequest(key: "b", features: [3.4e38, 3.4e38, 3.4e38, 3.4e38]),
                PredictRequest(key: "c", features: [-3e38, 0, 1, 3e38]),
            ]))
        XCTAssertEqual(batch.predictions.map(\.key), ["a", "b", "c"])
        for prediction in batch.predictions {
            XCTAssertTrue(prediction.probabilities.allSatisfy(\.isFinite), "\(prediction.probabilities)")
            XCTAssertEqual(prediction.probabilities.reduce(0, +), 1, accuracy: 1e-5)
        }
        try await aggregator.stop()
    }
}
