import Foundation
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import Synchronization
import XCTest

@testable import StarlingAgent

/// Late ground truth on the agent's local API: a label attached to an earlier keyed prediction
/// counts in its version's accuracy and confusion; an unknown or expired key is 404, a second
/// label 409, and a refused batch changes nothing. The prediction store keeps to its bound by
/// forgetting the oldest first.
final class FeedbackTests: XCTestCase {
    /// A clock the test moves by hand.
    final class TestClock: Sendable {
        private let seconds = Mutex(1_000_000.0)
        var now: Double { seconds.withLock { $0 } }
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
    }

    func predict(_ client: StarlingHTTPClient, key: String, _ features: [Double]) async throws -> Prediction {
        try await client.post(APIPath.agentPredict, json: PredictRequest(key: key, features: features))
    }

    func test_feedback_countsInTheVersionsAccuracyAndConfusion() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, _ in
            let first = try await predict(client, key: "k1", [1, 0])
            let second = try await predict(client, key: "k2", [0, 1])
            XCTAssertEqual([first.label, second.label], ["a", "b"])
            let one: FeedbackReceipt = try await client.post(
                APIPath.agentFeedback, json: FeedbackRequest(key: "k1", label: "a"))
            XCTAssertEqual(one, FeedbackReceipt(accepted: 1, correct: 1))
            let batch: FeedbackReceipt = try await client.post(
                APIPath.agentFeedbackBatch, json: FeedbackBatchRequest(items: [FeedbackRequest(key: "k2", label: "a")]))
            XCTAssertEqual(batch, FeedbackReceipt(accepted: 1, correct: 0))

            let report: MonitorReport = try await client.get(APIPath.agentMonitor)
            let toy = try XCTUnwrap(report.versions.first { $0.version == "toy@3" })
            XCTAssertEqual(toy.requests, 2)
            XCTAssertEqual(toy.feedback, 2)
            XCTAssertEqual(toy.accuracy, 0.5)
            XCTAssertEqual(toy.confusion.labels, ["a", "b"])
            XCTAssertEqual(toy.confusion.counts, [[1, 1], [0, 0]], "truth a: once predicted a, once b")
        }
    }

    func test_unknownExpiredAndDuplicateFeedback_areRefusedWithCodes_andARefusedBatchChangesNothing() async throws {
        let clock = TestClock()
        try await withLocalAPI(
            model: try makeToyModel(), monitoring: MonitorSettings(retentionSeconds: 600), clock: { clock.now }
        ) { client, _ in
            _ = try await predict(client, key: "old", [1, 0])
            clock.advance(601)
            _ = try await predict(client, key: "fresh", [1, 0])
            await assertAPIError(status: 404, code: "prediction_not_found") {
                try await client.post(
                    APIPath.agentFeedback, json: FeedbackRequest(key: "never", label: "a"), as: FeedbackReceipt.self)
            }
            await assertAPIError(status: 404, code: "prediction_not_found") {
                try await client.post(
                    APIPath.agentFeedback, json: FeedbackRequest(key: "old", label: "a"), as: FeedbackReceipt.self)
            }
            await assertAPIError(status: 400, code: "invalid_feedback") {
                try await client.post(
                    APIPath.agentFeedback, json: FeedbackRequest(key: "fresh", label: "zebra"),
                    as: FeedbackReceipt.self)
            }
            await assertAPIError(status: 404, code: "prediction_not_found") {
                try await client.post(
                    APIPath.agentFeedbackBatch,
                    json: FeedbackBatchRequest(items: [
                        FeedbackRequest(key: "fresh", label: "a"), FeedbackRequest(key: "never", label: "a"),
                    ]),
                    as: FeedbackReceipt.self)
            }
            let taken: FeedbackReceipt = try await client.post(
                APIPath.agentFeedback, json: FeedbackRequest(key: "fresh", label: "a"))
            XCTAssertEqual(taken.accepted, 1, "the refused batch left the fresh prediction without feedback")
            await assertAPIError(status: 409, code: "duplicate_feedback") {
                try await client.post(
                    APIPath.agentFeedback, json: FeedbackRequest(key: "fresh", label: "b"), as: FeedbackReceipt.self)
            }
            await assertAPIError(status: 400, code: "invalid_key") {
                try await client.post(
                    APIPath.agentPredict,
                    json: PredictRequest(key: String(repeating: "k", count: 257), features: [1, 0]),
                    as: Prediction.self)
            }
        }
    }

    func test_aStoreAtItsBound_forgetsTheOldestPredictionsFirst() async throws {
        let clock = TestClock()
        try await withLocalAPI(
            model: try makeToyModel(), monitoring: MonitorSettings(predictionLimit: 5), clock: { clock.now }
        ) { client, store in
            for index in 0..<8 {
                _ = try await predict(client, key: "k\(index)", [1, 0])
                clock.advance(1)
            }
            let receipt: FeedbackReceipt = try await client.post(
                APIPath.agentFeedback, json: FeedbackRequest(key: "k7", label: "a"))
            XCTAssertEqual(receipt.accepted, 1)
            let kept = try await store.predictionCount()
            XCTAssertEqual(kept, 5)
            for gone in ["k0", "k1", "k2"] {
                await assertAPIError(status: 404, code: "prediction_not_found") {
                    try await client.post(
                        APIPath.agentFeedback, json: FeedbackRequest(key: gone, label: "a"), as: FeedbackReceipt.self)
                }
            }
            let kept3: FeedbackReceipt = try await client.post(
                APIPath.agentFeedback, json: FeedbackRequest(key: "k3", label: "b"))
            XCTAssertEqual(kept3, FeedbackReceipt(accepted: 1, correct: 0))
        }
    }
}
