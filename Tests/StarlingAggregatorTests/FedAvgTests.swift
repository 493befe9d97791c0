import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// FedAvg against values computed by hand from w_{t+1} = w_t + Σ n_k Δ_k / Σ n_k.
final class FedAvgTests: XCTestCase {
    func test_aggregate_weightsDeltasBySampleCount() throws {
        // n = 30 + 10 = 40; w = [1, -2, 0.5] + (30·[0.1, 0.2, -0.4] + 10·[0.5, -0.2, 0.4]) / 40
        //   = [1, -2, 0.5] + [0.2, 0.1, -0.2] = [1.2, -1.9, 0.3]
        let result = try FedAvg.aggregate(
            w_t: [1, -2, 0.5],
            updates: [.init(n_k: 30, delta: [0.1, 0.2, -0.4]), .init(n_k: 10, delta: [0.5, -0.2, 0.4])])
        for (value, expected) in zip(result, [Float(1.2), -1.9, 0.3]) {
            XCTAssertEqual(value, expected, accuracy: 1e-6)
        }
    }

    func test_aggregate_singleClient_addsItsDelta() throws {
        XCTAssertEqual(try FedAvg.aggregate(w_t: [0, 1], updates: [.init(n_k: 7, delta: [0.25, -0.5])]), [0.25, 0.5])
    }

    func test_aggregate_refusesEmptyAndMisshapenInput() {
        XCTAssertThrowsError(try FedAvg.aggregate(w_t: [0], updates: [])) {
            XCTAssertEqual($0 as? FedAvg.Failure, .noUpdates)
        }
        XCTAssertThrowsError(try FedAvg.aggregate(w_t: [0, 0], updates: [.init(n_k: 1, delta: [1])])) {
            XCTAssertEqual($0 as? FedAvg.Failure, .lengthMismatch(expected: 2, actual: 1))
        }
    }

    func test_metrics_weightLossByTrainingAndAccuracyByEvalSamples() {
        let metrics = FederatedMetrics.combine([
            ValidatedUpdate(trainSamples: 30, trainLoss: 1.0, evalSamples: 10, evalAccuracy: 0.5, delta: []),
            ValidatedUpdate(trainSamples: 10, trainLoss: 2.0, evalSamples: 30, evalAccuracy: 0.9, delta: []),
        ])
        XCTAssertEqual(metrics.trainLoss ?? 0, 1.25, accuracy: 1e-12)
        XCTAssertEqual(metrics.evalAccuracy ?? 0, 0.8, accuracy: 1e-12)
        XCTAssertEqual(metrics.trainSamples, 40)
        XCTAssertEqual(metrics.evalSamples, 40)
    }
}
