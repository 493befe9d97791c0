import StarlingProtocol
import StarlingTransport
import XCTest

@testable import StarlingAgent

final class LocalAPITests: XCTestCase {
    func test_predict_withInstalledModel_answersPhaseOne() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            let answer: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: "k1", features: [1, 0]))
            XCTAssertEqual(answer.key, "k1")
            XCTAssertEqual(answer.label, "a")
            XCTAssertEqual(answer.phase, 1)
            XCTAssertEqual(answer.modelVersion, "toy@3")
            XCTAssertFalse(answer.degraded)
            XCTAssertEqual(answer.probabilities[0], 1, accuracy: 1e-3)
        }
    }

    func test_predictBatch_answersEveryItemInOrder() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            let batch: PredictionBatch = try await client.post(
                APIPath.agentPredictBatch,
                json: PredictBatchRequest(items: [
                    PredictRequest(key: "first", features: [1, 0]),
                    PredictRequest(key: nil, features: [0, 1]),
                    PredictRequest(key: "third", features: [2, 0]),
                ]))
            XCTAssertEqual(batch.predictions.map(\.label), ["a", "b", "a"])
            XCTAssertEqual(batch.predictions.map(\.key), ["first", nil, "third"])
        }
    }

    func test_predict_withMalformedJSON_answers400InvalidJSON() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            await assertAPIError(status: 400, code: "invalid_json") {
                let _: Prediction = try await client.post(
                    APIPath.agentPredict, bytes: Array("{\"features\": [1,".utf8), contentType: "application/json")
            }
        }
    }

    func test_predict_withWrongFeatureCount_answers400InvalidFeatures() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            await assertAPIError(status: 400, code: "invalid_features") {
                let _: Prediction = try await client.post(
                    APIPath.agentPredict, json: PredictRequest(key: nil, features: [1, 2, 3]))
            }
        }
    }

    func test_predict_withFeaturesBeyondFloat_answers400InvalidFeatures() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            for huge in [1e300, 3.5e38, -1e300] {
                await assertAPIError(status: 400, code: "invalid_features") {
                    let _: Prediction = try await client.post(
                        APIPath.agentPredict, json: PredictRequest(key: nil, features: [huge, 0]))
                }
                await assertAPIError(status: 400, code: "invalid_features") {
                    let _: PredictionBatch = try await client.post(
                        APIPath.agentPredictBatch,
                        json: PredictBatchRequest(items: [
                            PredictRequest(key: nil, features: [1, 0]), PredictRequest(key: nil, features: [0, huge]),
                        ]))
                }
            }
        }
    }

    func test_predict_withFeaturesAtTheEdgeOfFloat_answersFiniteProbabilities() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            let answer: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: nil, features: [3e38, -3e38]))
            XCTAssertEqual(answer.phase, 1)
            XCTAssertEqual(answer.label, "a")
            XCTAssertTrue(answer.probabilities.allSatisfy(\.isFinite), "\(answer.probabilities)")
            XCTAssertEqual(answer.probabilities.reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    func test_samples_withFeaturesBeyondFloat_answers400InvalidFeatures_andStoresNothing() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            await assertAPIError(status: 400, code: "invalid_features") {
                let _: SampleReceipt = try await client.post(
                    APIPath.agentSamples,
                    json: SampleBatch(samples: [
                        .init(features: [1, 0], label: "a"), .init(features: [3.5e38, 0], label: "b"),
                    ]))
            }
            let status: AgentStatus = try await client.get(APIPath.agentStatus)
            XCTAssertEqual(status.sampleCount, 0)
        }
    }

    func test_predict_withOversizedBody_answers413BodyTooLarge() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            await assertAPIError(status: 413, code: "body_too_large") {
                let _: Prediction = try await client.post(
                    APIPath.agentPredict, bytes: [UInt8](repeating: 0x20, count: BodyLimit.json + 1),
                    contentType: "application/json")
            }
        }
    }

    func test_predict_withoutModel_answers503NoModel() async throws {
        try await withLocalAPI(model: nil) { client, _ in
            await assertAPIError(status: 503, code: "no_model") {
                let _: Prediction = try await client.post(
                    APIPath.agentPredict, json: PredictRequest(key: nil, features: [1, 0]))
            }
        }
    }

    func test_samplesAndStatus_reportWhatTheAgentHolds() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            let receipt: SampleReceipt = try await client.post(
                APIPath.agentSamples,
                json: SampleBatch(samples: [.init(features: [1, 0], label: "a"), .init(features: [0, 1], label: "b")]))
            XCTAssertEqual(receipt.accepted, 2)
            XCTAssertEqual(receipt.total, 2)
            let _: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: nil, features: [1, 0]))
            let status: AgentStatus = try await client.get(APIPath.agentStatus)
            XCTAssertEqual(status.deviceId, "dev-000000000001")
            XCTAssertEqual(status.runningModel, "toy@3")
            XCTAssertEqual(status.sampleCount, 2)
            XCTAssertEqual(status.predictions, 1)
            XCTAssertFalse(status.connected)
        }
    }

    func test_unknownPath_answers404() async throws {
        try await withLocalAPI(model: nil) { client, _ in
            await assertAPIError(status: 404, code: "not_found") {
                let _: AgentStatus = try await client.get("/v1/nothing")
            }
        }
    }

    private func assertAPIError(
        status: Int, code: String, file: StaticString = #filePath, line: UInt = #line,
        _ call: () async throws -> Void
    ) async {
        do {
            try await call()
            XCTFail("expected \(status) \(code)", file: file, line: line)
        } catch let error as StarlingHTTPError {
            XCTAssertEqual(error.status, status, "\(error)", file: file, line: line)
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }
}
