import StarlingMetrics
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAgent

final class PhaseTwoTests: XCTestCase {
    /// (1, 1) is a 50/50 call for the toy model, below its 0.8 threshold.
    private let unsure = PredictRequest(key: "u", features: [1, 1])

    func test_lowConfidence_withAnsweringRefiner_returnsPhaseTwo() async throws {
        try await withLocalAPI(model: try makeToyModel(), refiner: AnsweringRefiner()) { client, _ in
            let batch: PredictionBatch = try await client.post(
                APIPath.agentPredictBatch,
                json: PredictBatchRequest(items: [unsure, PredictRequest(key: "sure", features: [1, 0])]))
            XCTAssertEqual(batch.predictions.map(\.phase), [2, 1])
            XCTAssertEqual(batch.predictions.map(\.label), ["refined", "a"])
            XCTAssertEqual(batch.predictions.map(\.key), ["u", "sure"])
            XCTAssertEqual(batch.predictions.map(\.degraded), [false, false])
        }
    }

    func test_lowConfidence_withUnreachableRefiner_isDegradedWithinTheDeadline() async throws {
        let refinerClient = StarlingHTTPClient(baseURL: "http://127.0.0.1:\(try await closedPort())", tls: nil)
        // Refused connections are retried by the HTTP client, so the deadline may pass first.
        try await assertDegradedInTime(refiner: AggregatorRefiner(client: refinerClient), phaseTwo: nil)
        await refinerClient.shutdown()
    }

    func test_lowConfidence_withSilentRefiner_isDegradedWithinTheDeadline() async throws {
        let (port, silent) = try await startSilentServer()
        let refinerClient = StarlingHTTPClient(baseURL: "http://127.0.0.1:\(port)", tls: nil)
        try await assertDegradedInTime(refiner: AggregatorRefiner(client: refinerClient), phaseTwo: "timed_out")
        await refinerClient.shutdown()
        try await silent.close()
    }

    /// `phaseTwo` is the outcome the metrics should show for the phase-two request, if known.
    private func assertDegradedInTime(refiner: any Refiner, phaseTwo: String?) async throws {
        try await withLocalAPI(model: try makeToyModel(), refiner: refiner, refineTimeout: .milliseconds(200)) {
            client, _ in
            let clock = ContinuousClock()
            let start = clock.now
            let answer: Prediction = try await client.post(APIPath.agentPredict, json: unsure)
            let elapsed = clock.now - start
            XCTAssertEqual(answer.phase, 1)
            XCTAssertTrue(answer.degraded)
            XCTAssertEqual(answer.modelVersion, "toy@3")
            XCTAssertLessThan(elapsed, .milliseconds(1_000), "phase two must give up at its deadline")
            let status: AgentStatus = try await client.get(APIPath.agentStatus)
            XCTAssertEqual(status.phaseTwoRequests, 1)
            XCTAssertEqual(status.degradedAnswers, 1)
            let samples = PrometheusSamples(String(decoding: try await client.getBytes(APIPath.metrics), as: UTF8.self))
            XCTAssertEqual(samples.value("starling_agent_escalations_total"), 1)
            XCTAssertEqual(samples.value("starling_agent_degraded_answers_total"), 1)
            if let phaseTwo {
                XCTAssertEqual(
                    samples.value("starling_agent_phase_two_duration_seconds_count", ["outcome": phaseTwo]), 1)
            }
            XCTAssertEqual(samples.value("starling_agent_phase_two_duration_seconds_count"), 1)
        }
    }
}
