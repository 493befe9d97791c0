import StarlingCore
import XCTest

@testable import Quantization

/// Training, evaluation, fp32 prediction and int8 phase one apply a model's preprocessing
/// identically, whether it is non-affine (applied into scratch) or affine (folded into quantization).
final class PreprocessingParityTests: XCTestCase {
    /// Digits trained behind a mix of log1p, clipped z-score and min–max chosen from the training
    /// rows' profile, feature by feature.
    private func mixedDigits() throws -> (bundle: ModelBundle, train: Dataset, test: Dataset) {
        let table = try CSVTable.load(contentsOf: DigitsFixture.csv, labelColumn: "label")
        let labels = table.distinctLabels
        let (train, test) = try table.dataset(classes: labels).split(fraction: 0.8, seed: 2024)
        var statistics = FeatureStatistics(width: 64)
        statistics.add(features: train.features, rows: train.count)
        let profile = try FeatureProfile(name: "digits", version: 1, statistics: statistics, devices: 1)
        let kinds: [PreprocessingKind] = [.log1p, .zscore, .minmax]
        let fitted = kinds.map { Preprocessing.fitted($0, from: profile).transforms }
        let preprocessing = try Preprocessing(transforms: (0..<64).map { fitted[$0 % 3][$0] })
        XCTAssertFalse(preprocessing.isAffine)

        let architecture = try ModelArchitecture(parsing: "64-32-10")
        var model = MLP(architecture: architecture, seed: 7)
        let config = TrainingConfig(epochs: 20, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 1)
        _ = Trainer.train(&model, on: train, preprocessing: preprocessing, config: config)
        let manifest = try ModelManifest(
            name: "digits", version: 1, architecture: architecture, labels: labels, preprocessing: preprocessing,
            profile: ProfileReference(name: "digits", version: 1), confidenceThreshold: 0.5)
        return (try ModelBundle(manifest: manifest, model: .dense(model)), train, test)
    }

    private func argmaxes(_ probabilities: [Float], classes: Int) -> [Int] {
        stride(from: 0, to: probabilities.count, by: classes).map { start in
            let row = probabilities[start..<(start + classes)]
            return (row.indices.max { row[$0] < row[$1] } ?? start) - start
        }
    }

    func testNonAffinePreprocessingIsAppliedAlikeByFP32TrainerEvaluationAndInt8() throws {
        let (bundle, train, test) = try mixedDigits()
        let preprocessing = bundle.manifest.preprocessing
        let fp32 = bundle.predict(features: test.features, rows: test.count)
        XCTAssertEqual(fp32, bundle.model.probabilities(features: preprocessing.apply(test.features), rows: test.count))
        let fp32Accuracy = accuracy(probabilities: fp32, labels: test.labels, classes: 10)
        XCTAssertEqual(Trainer.accuracy(of: bundle.model, on: test, preprocessing: preprocessing), fp32Accuracy)
        XCTAssertGreaterThanOrEqual(fp32Accuracy, 0.9)

        let fp32Classes = argmaxes(fp32, classes: 10)
        for int8 in [try Int8Bundle(quantizing: bundle), try Int8Bundle(quantizing: bundle, calibration: train)] {
            let predictor = Int8Predictor(bundle: int8, maximumRows: 64)
            let rows = Array(test.features.prefix(64 * 64))
            XCTAssertEqual(predictor.quantizerInput(features: rows, rows: 64), preprocessing.apply(rows))

            let quantized = int8.predict(features: test.features, rows: test.count)
            let agreement = zip(argmaxes(quantized, classes: 10), fp32Classes).filter { $0 == $1 }.count
            XCTAssertGreaterThanOrEqual(Double(agreement) / Double(test.count), 0.99, "\(int8.activationQuantization)")
            let meanError = zip(quantized, fp32).map { abs($0 - $1) }.reduce(0, +) / Float(fp32.count)
            XCTAssertLessThan(meanError, 0.01)
            let reloaded = try Int8Bundle(decoding: int8.encoded())
            XCTAssertEqual(reloaded.manifest.preprocessing, preprocessing)
            XCTAssertEqual(reloaded.predict(features: test.features, rows: test.count), quantized)
        }
    }

    func testAnAffinePreprocessingFoldedIntoQuantizationSeesWhatPreprocessingGives() throws {
        let digits = try DigitsFixture.make()
        let preprocessing = digits.bundle.manifest.preprocessing
        XCTAssertTrue(preprocessing.isAffine)
        let predictor = Int8Predictor(bundle: try Int8Bundle(quantizing: digits.bundle), maximumRows: 32)
        let rows = Array(digits.test.features.prefix(32 * 64))
        XCTAssertEqual(predictor.quantizerInput(features: rows, rows: 32), preprocessing.apply(rows))
    }
}
