import StarlingMetrics
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAgent

/// The local API's `GET /metrics`: Prometheus text that promtool accepts, counting the predictions
/// answered and timing both phases.
final class AgentMetricsTests: XCTestCase {
    func test_metrics_afterPredictions_passPromtool_andCountBothPhases() async throws {
        let budget = PrivacyBudget(epsilon: 4, delta: 1e-5)
        try await withLocalAPI(model: try makeToyModel(), refiner: AnsweringRefiner(), privacyBudget: budget) {
            client, _ in
            let _: PredictionBatch = try await client.post(
                APIPath.agentPredictBatch,
                json: PredictBatchRequest(items: [
                    PredictRequest(key: "unsure", features: [1, 1]), PredictRequest(key: "sure", features: [1, 0]),
                ]))
            let _: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: nil, features: [0, 1]))

            var response = try await client.getRange(APIPath.metrics, from: 0)
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.header("content-type"), "text/plain; version=0.0.4; charset=utf-8")
            var body: [UInt8] = []
            while let chunk = try await response.next() { body += chunk }
            let text = String(decoding: body, as: UTF8.self)
            try assertPromtoolAccepts(text)

            let samples = PrometheusSamples(text)
            XCTAssertEqual(samples.value("starling_agent_predictions_total"), 3)
            XCTAssertEqual(samples.value("starling_agent_escalations_total"), 1)
            XCTAssertEqual(samples.value("starling_agent_degraded_answers_total"), 0)
            XCTAssertEqual(samples.value("starling_agent_phase_one_duration_seconds_count"), 2, "one per request")
            XCTAssertEqual(
                samples.value("starling_agent_phase_two_duration_seconds_count", ["outcome": "answered"]), 1)
            XCTAssertEqual(
                samples.value("starling_agent_phase_one_duration_seconds_bucket", ["le": "+Inf"]), 2)
            XCTAssertEqual(samples.value("starling_agent_model_version"), 3)
            XCTAssertEqual(samples.value("starling_agent_privacy_epsilon_spent"), 0)
            XCTAssertEqual(samples.value("starling_agent_privacy_epsilon_budget"), 4)
            XCTAssertEqual(samples.value("starling_agent_installs_total", ["outcome": "installed"]), 0)
            try assertMetricFamilies(AgentMetricFamilies.all, in: text)
        }
    }

    func test_metrics_whenPhaseTwoFails_countADegradedAnswerAndTheFailure() async throws {
        try await withLocalAPI(model: try makeToyModel(), refiner: FailingRefiner()) { client, _ in
            let answer: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: nil, features: [1, 1]))
            XCTAssertTrue(answer.degraded)
            let samples = PrometheusSamples(String(decoding: try await client.getBytes(APIPath.metrics), as: UTF8.self))
            XCTAssertEqual(samples.value("starling_agent_phase_two_duration_seconds_count", ["outcome": "failed"]), 1)
            XCTAssertEqual(samples.value("starling_agent_phase_two_duration_seconds_count", ["outcome": "answered"]), 0)
            XCTAssertEqual(samples.value("starling_agent_degraded_answers_total"), 1)
        }
    }

    func test_metrics_beforeAnyModel_reportVersionZero_andNoBudgetWhenUnlimited() async throws {
        try await withLocalAPI(model: nil) { client, _ in
            let text = String(decoding: try await client.getBytes(APIPath.metrics), as: UTF8.self)
            try assertPromtoolAccepts(text)
            let samples = PrometheusSamples(text)
            XCTAssertEqual(samples.value("starling_agent_model_version"), 0)
            XCTAssertNil(samples.value("starling_agent_privacy_epsilon_budget"))
            XCTAssertEqual(samples.value("starling_agent_predictions_total"), 0)
        }
    }
}

/// A refiner that always fails at once, as an aggregator answering 503 does.
private struct FailingRefiner: Refiner {
    func refine(_ items: [PredictRequest], timeout: Duration) async throws(AgentError) -> [Prediction] {
        throw .aggregator("refinement_unavailable")
    }
}
