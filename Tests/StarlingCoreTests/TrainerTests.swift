import XCTest

@testable import StarlingCore

final class TrainerTests: XCTestCase {
    func testMLP64x32x10ReachesNinetyPercentHeldOutAccuracyOnDigits() throws {
        let table = try CSVTable.load(contentsOf: TestPaths.digitsCSV, labelColumn: "label")
        XCTAssertEqual(table.featureNames.count, 64)
        XCTAssertEqual(table.distinctLabels, (0...9).map(String.init))
        let data = try table.dataset(classes: table.distinctLabels)
        let (train, test) = data.split(fraction: 0.8, seed: 2024)
        let preprocessing = Preprocessing(standardization: .fit(features: train.features, featureCount: 64))
        var model = MLP(architecture: try ModelArchitecture(parsing: "64-32-10"), seed: 7)
        let before = Trainer.accuracy(of: model, on: test, preprocessing: preprocessing)

        let config = TrainingConfig(epochs: 20, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 1)
        let report = Trainer.train(&model, on: train, preprocessing: preprocessing, config: config)
        let accuracy = Trainer.accuracy(of: model, on: test, preprocessing: preprocessing)

        print("digits 64-32-10: held-out accuracy \(accuracy) (before \(before)), mean loss \(report.meanLoss)")
        XCTAssertEqual(report.samples, train.count)
        XCTAssertEqual(report.steps, 20 * ((train.count + 31) / 32))
        XCTAssertGreaterThanOrEqual(accuracy, 0.9)
        XCTAssertTrue(report.meanLoss.isFinite && report.meanLoss > 0)
    }

    func testTrainingIsDeterministicForAFixedSeed() throws {
        let architecture = try ModelArchitecture(layerSizes: [2, 4, 2])
        var rng = SeededRNG(seed: 3)
        let features = (0..<80).map { _ in Float(rng.nextGaussian()) }
        let labels = stride(from: 0, to: 80, by: 2).map { features[$0] > features[$0 + 1] ? 1 : 0 }
        let data = Dataset(featureCount: 2, features: features, labels: labels)
        let config = TrainingConfig(epochs: 3, batchSize: 8, learningRate: 0.1, momentum: 0.9, seed: 9)
        var a = MLP(architecture: architecture, seed: 1), b = a
        let reportA = Trainer.train(&a, on: data, preprocessing: .identity(featureCount: 2), config: config)
        let reportB = Trainer.train(&b, on: data, preprocessing: .identity(featureCount: 2), config: config)
        XCTAssertEqual(a, b)
        XCTAssertEqual(reportA, reportB)
        XCTAssertEqual(reportA.steps, 15)
    }

    func testEmptyDatasetLeavesModelUnchangedAndHasZeroAccuracy() throws {
        let original = MLP(architecture: try ModelArchitecture(layerSizes: [2, 2]), seed: 1)
        var model = original
        let empty = Dataset(featureCount: 2, features: [], labels: [])
        let config = TrainingConfig(epochs: 2, batchSize: 4, learningRate: 0.1, momentum: 0, seed: 0)
        let report = Trainer.train(&model, on: empty, preprocessing: .identity(featureCount: 2), config: config)
        XCTAssertEqual(model, original)
        XCTAssertEqual(report, TrainingReport(meanLoss: 0, steps: 0, samples: 0))
        XCTAssertEqual(Trainer.accuracy(of: model, on: empty, preprocessing: .identity(featureCount: 2)), 0)
    }
}
