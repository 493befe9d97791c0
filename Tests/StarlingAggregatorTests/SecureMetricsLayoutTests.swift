import SecureAggregation
import StarlingCore
import StarlingProtocol
import XCTest

/// Devices' figures laid out by ``SecureMetricsLayout``, encoded in SecAgg+ fixed point, summed in the
/// ring as the unmasked sum is, and decoded: the fleet's weighted figures come back, and a loss beyond
/// the encoding's range is reported as clipped, never as a number.
final class SecureMetricsLayoutTests: XCTestCase {
    private let cap = SecureMetricsLayout.weightCap

    /// The decoded ring sum of the devices' vectors, as the aggregator sees it after unmasking.
    private func secureSum(_ vectors: [[Float]], seed: UInt64) throws -> [Double] {
        let parameters = try SecAggParameters(
            roundId: "layout", clientCount: vectors.count, threshold: vectors.count, vectorLength: vectors[0].count,
            clippingRange: 1, graphSeed: seed)
        let codec = FixedPointCodec(parameters)
        var rng = SeededRNG(seed: seed)
        var sum = [UInt32](repeating: 0, count: vectors[0].count)
        for vector in vectors {
            for (index, word) in codec.encode(vector, using: &rng).enumerated() { sum[index] &+= word }
        }
        return codec.decodeSum(sum, summands: vectors.count)
    }

    func test_trainingFigures_encodeSumAndDecode_toTheSampleWeightedFleetFigures() throws {
        let vectors = [
            SecureMetricsLayout.training(
                trainSamples: 100, trainLoss: 0.7, evalSamples: 20, evalAccuracy: 0.8, weightCap: cap),
            SecureMetricsLayout.training(
                trainSamples: 300, trainLoss: 1.1, evalSamples: 50, evalAccuracy: 0.6, weightCap: cap),
            SecureMetricsLayout.training(
                trainSamples: 50, trainLoss: 0.3, evalSamples: 0, evalAccuracy: 0, weightCap: cap),
        ]
        XCTAssertEqual(vectors.map(\.count), [5, 5, 5])
        let sums = try secureSum(vectors, seed: 1)
        let metrics = try XCTUnwrap(SecureMetricsLayout.decodeTraining(sums[...], weightCap: cap))
        XCTAssertEqual(metrics.trainSamples, 450)
        XCTAssertEqual(metrics.evalSamples, 70)
        XCTAssertEqual(try XCTUnwrap(metrics.trainLoss), (100 * 0.7 + 300 * 1.1 + 50 * 0.3) / 450, accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(metrics.evalAccuracy), (20 * 0.8 + 50 * 0.6) / 70, accuracy: 1e-4)
        XCTAssertNil(metrics.clipped)
    }

    func test_aTrainingLossBeyondTheScale_isReportedClipped_withTheOtherFiguresIntact() throws {
        let vectors = [
            SecureMetricsLayout.training(
                trainSamples: 100, trainLoss: 0.7, evalSamples: 20, evalAccuracy: 0.8, weightCap: cap),
            SecureMetricsLayout.training(
                trainSamples: 100, trainLoss: SecureMetricsLayout.lossScale * 4, evalSamples: 20, evalAccuracy: 0.4,
                weightCap: cap),
            SecureMetricsLayout.training(
                trainSamples: 100, trainLoss: .nan, evalSamples: 20, evalAccuracy: 0.6, weightCap: cap),
        ]
        let sums = try secureSum(vectors, seed: 2)
        let metrics = try XCTUnwrap(SecureMetricsLayout.decodeTraining(sums[...], weightCap: cap))
        XCTAssertNil(metrics.trainLoss, "a clipped loss is never passed off as a measurement")
        XCTAssertEqual(metrics.clipped, [VersionMetrics.ClippedMetric(name: "train_loss", devices: 2)])
        XCTAssertEqual(metrics.trainSamples, 300)
        XCTAssertEqual(try XCTUnwrap(metrics.evalAccuracy), 0.6, accuracy: 1e-4)
    }

    func test_aLossExactlyAtTheScale_isStillANumber() throws {
        let vectors = [
            SecureMetricsLayout.training(
                trainSamples: 10, trainLoss: SecureMetricsLayout.lossScale, evalSamples: 0, evalAccuracy: 0,
                weightCap: cap)
        ]
        let metrics = try XCTUnwrap(
            SecureMetricsLayout.decodeTraining(try secureSum(vectors, seed: 3)[...], weightCap: cap))
        XCTAssertEqual(try XCTUnwrap(metrics.trainLoss), SecureMetricsLayout.lossScale, accuracy: 1e-2)
        XCTAssertNil(metrics.clipped)
    }

    func test_evaluationFigures_encodeSumAndDecode_toFleetAccuracyLossAndSummedConfusion() throws {
        let first = [[3, 1, 0], [0, 4, 0], [1, 0, 1]]
        let second = [[10, 0, 0], [0, 9, 1], [0, 0, 10]]
        let vectors = [
            SecureMetricsLayout.evaluation(samples: 10, meanLoss: 0.5, accuracy: 0.8, confusion: first, weightCap: cap),
            SecureMetricsLayout.evaluation(
                samples: 30, meanLoss: 0.2, accuracy: 29.0 / 30, confusion: second, weightCap: cap),
        ]
        XCTAssertEqual(vectors[0].count, SecureMetricsLayout.evaluationLength(classes: 3))
        let figures = try XCTUnwrap(
            SecureMetricsLayout.decodeEvaluation(try secureSum(vectors, seed: 4), classes: 3, weightCap: cap))
        XCTAssertEqual(figures.samples, 40)
        XCTAssertEqual(figures.accuracy, 37.0 / 40, accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(figures.loss), (10 * 0.5 + 30 * 0.2) / 40, accuracy: 1e-4)
        XCTAssertEqual(figures.confusion, zip(first, second).map { zip($0, $1).map(+) })
        XCTAssertEqual(figures.lossClippedDevices, 0)
    }

    func test_anEvaluatingDeviceWithoutAFiniteLoss_makesTheFleetLossClipped() throws {
        let vectors = [
            SecureMetricsLayout.evaluation(
                samples: 10, meanLoss: 0.5, accuracy: 0.8, confusion: [[4, 1], [1, 4]], weightCap: cap),
            SecureMetricsLayout.evaluation(
                samples: 10, meanLoss: .infinity, accuracy: 0.5, confusion: [[5, 0], [5, 0]], weightCap: cap),
        ]
        let figures = try XCTUnwrap(
            SecureMetricsLayout.decodeEvaluation(try secureSum(vectors, seed: 5), classes: 2, weightCap: cap))
        XCTAssertNil(figures.loss)
        XCTAssertEqual(figures.lossClippedDevices, 1)
        XCTAssertEqual(figures.accuracy, 0.65, accuracy: 1e-4)
        XCTAssertEqual(figures.confusion, [[9, 1], [6, 4]])
    }

    func test_modelsWithTooManyClasses_sendAccuracyAndLossWithoutAConfusionMatrix() throws {
        let classes = SecureMetricsLayout.maximumConfusionClasses + 1
        XCTAssertEqual(SecureMetricsLayout.evaluationLength(classes: classes), 4)
        let vector = SecureMetricsLayout.evaluation(
            samples: 100, meanLoss: 2, accuracy: 0.25, confusion: nil, weightCap: cap)
        let figures = try XCTUnwrap(
            SecureMetricsLayout.decodeEvaluation(try secureSum([vector], seed: 6), classes: classes, weightCap: cap))
        XCTAssertNil(figures.confusion)
        XCTAssertEqual(figures.samples, 100)
        XCTAssertEqual(try XCTUnwrap(figures.loss), 2, accuracy: 1e-3)
    }

    func test_aSumWithoutSamples_decodesToNothing() {
        XCTAssertNil(SecureMetricsLayout.decodeTraining([0, 0, 0, 0, 0][...], weightCap: cap))
        XCTAssertNil(SecureMetricsLayout.decodeEvaluation([0, 0, 0, 0], classes: 300, weightCap: cap))
    }
}
