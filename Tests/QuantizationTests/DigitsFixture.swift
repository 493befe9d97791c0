import Foundation
import StarlingCore

/// The digits model of StarlingCore's trainer test: 64-32-10 trained on an 80/20 seeded split of
/// <repo>/data/digits.csv. Trained once per test process.
struct DigitsFixture: Sendable {
    let bundle: ModelBundle
    let train: Dataset
    let test: Dataset

    static let csv = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data").appendingPathComponent("digits.csv")

    static func make(architecture: String = "64-32-10") throws -> DigitsFixture {
        let table = try CSVTable.load(contentsOf: csv, labelColumn: "label")
        let labels = table.distinctLabels
        let data = try table.dataset(classes: labels)
        let (train, test) = data.split(fraction: 0.8, seed: 2024)
        let preprocessing = Preprocessing(standardization: .fit(features: train.features, featureCount: 64))
        let parsed = try ModelArchitecture(parsing: architecture)
        var model = MLP(architecture: parsed, seed: 7)
        let config = TrainingConfig(epochs: 20, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 1)
        _ = Trainer.train(&model, on: train, preprocessing: preprocessing, config: config)
        let manifest = try ModelManifest(
            name: "digits", version: 1, architecture: parsed, labels: labels,
            preprocessing: preprocessing, confidenceThreshold: 0.5)
        return DigitsFixture(
            bundle: try ModelBundle(manifest: manifest, model: .dense(model)), train: train, test: test)
    }
}

/// Fraction of rows whose most probable class is the label.
func accuracy(probabilities: [Float], labels: [Int], classes: Int) -> Double {
    var correct = 0
    for (row, label) in labels.enumerated() {
        let scores = probabilities[(row * classes)..<((row + 1) * classes)]
        if let best = scores.indices.max(by: { scores[$0] < scores[$1] }), best - row * classes == label {
            correct += 1
        }
    }
    return labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
}
