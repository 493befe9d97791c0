import Foundation
import Quantization
import StarlingCore

/// Held-out digits accuracy of fp32 and int8 (dynamic and static): the 64-32-10 model trained as in
/// the tests (80/20 split with seed 2024, 20 epochs).
struct AccuracyBenchmark {
    let csv: URL

    func run() throws {
        let table = try CSVTable.load(contentsOf: csv, labelColumn: "label")
        let labels = table.distinctLabels
        let data = try table.dataset(classes: labels)
        let (train, test) = data.split(fraction: 0.8, seed: 2024)
        let preprocessing = Preprocessing(
            standardization: .fit(features: train.features, featureCount: data.featureCount))
        let architecture = try ModelArchitecture(layerSizes: [data.featureCount, 32, labels.count])
        var model = MLP(architecture: architecture, seed: 7)
        let config = TrainingConfig(epochs: 20, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 1)
        _ = Trainer.train(&model, on: train, preprocessing: preprocessing, config: config)
        let manifest = try ModelManifest(
            name: "digits", version: 1, architecture: architecture, labels: labels,
            preprocessing: preprocessing, confidenceThreshold: 0.5)
        let fp32 = try ModelBundle(manifest: manifest, model: .dense(model))
        let dynamic = try Int8Bundle(quantizing: fp32)
        let calibrated = try Int8Bundle(quantizing: fp32, calibration: train)

        let bench = "digits_64_32_10"
        let fp32Accuracy = accuracy(fp32.predict(features: test.features, rows: test.count), test, labels.count)
        BenchLine(bench, "fp32_heldout_accuracy", fp32Accuracy, "fraction", note: "\(test.count) held-out rows").emit()
        for (name, int8) in [("int8_dynamic", dynamic), ("int8_static", calibrated)] {
            let value = accuracy(int8.predict(features: test.features, rows: test.count), test, labels.count)
            var line = BenchLine(bench, "\(name)_heldout_accuracy", value, "fraction")
            line.peer = "fp32"
            line.ratio = value / fp32Accuracy
            line.emit()
        }
    }

    private func accuracy(_ probabilities: [Float], _ data: Dataset, _ classes: Int) -> Double {
        var correct = 0
        for row in 0..<data.count {
            let scores = probabilities[(row * classes)..<((row + 1) * classes)]
            if let best = scores.indices.max(by: { scores[$0] < scores[$1] }), best - row * classes == data.labels[row]
            {
                correct += 1
            }
        }
        return data.count == 0 ? 0 : Double(correct) / Double(data.count)
    }
}
