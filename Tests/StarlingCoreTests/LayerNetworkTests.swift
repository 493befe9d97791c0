import XCTest

@testable import StarlingCore

/// A layer network's loss gradient against finite differences, and training one on the bundled
/// digits as 8×8 images.
final class LayerNetworkTests: XCTestCase {
    func testTheWholeNetworksGradientMatchesFiniteDifferences() throws {
        let layout = try NetworkDescription(
            input: [6, 5, 2],
            layers: [
                LayerDescription(type: "conv2d", filters: 3, kernel: [3], stride: [1, 2], padding: [1]),
                LayerDescription(type: "group_norm", groups: 3), LayerDescription(type: "relu6"),
                LayerDescription(type: "depthwise_conv2d", multiplier: 2, kernel: [2], padding: [1, 0, 0, 1]),
                LayerDescription(type: "avg_pool", kernel: [2], countPadding: false), LayerDescription(type: "flatten"),
                LayerDescription(type: "dense", units: 5), LayerDescription(type: "relu"),
                LayerDescription(type: "dense", units: 3),
            ]
        ).layout()
        var network = LayerNetwork(layout: layout, seed: 5)
        var random = SeededRNG(seed: 6)
        for index in network.parameters.indices { network.parameters[index] += Float(random.nextGaussian() * 0.1) }
        let rows = 3
        let features = (0..<(rows * layout.inputSize)).map { _ in Float(random.nextGaussian()) }
        let labels = [0, 2, 1]
        let (_, gradient) = network.lossAndGradient(features: features, labels: labels, rows: rows)
        var worst: Double = 0
        for index in network.parameters.indices {
            var plus = network
            var minus = network
            plus.parameters[index] += 1e-3
            minus.parameters[index] -= 1e-3
            let numeric =
                (Double(plus.lossAndGradient(features: features, labels: labels, rows: rows).loss)
                    - Double(minus.lossAndGradient(features: features, labels: labels, rows: rows).loss)) / 2e-3
            worst = max(worst, abs(numeric - Double(gradient[index])))
        }
        XCTAssertLessThan(worst, 2e-3, "worst difference from finite differences")
    }

    func testAConvolutionalNetworkLearnsTheDigitsAsWellAsTheMLP() throws {
        let table = try CSVTable.load(contentsOf: TestPaths.digitsCSV, labelColumn: "label")
        let data = try table.dataset(classes: table.distinctLabels)
        let (train, test) = data.split(fraction: 0.8, seed: 2024)
        let scale: (Dataset) -> Dataset = {
            Dataset(featureCount: 64, features: $0.features.map { $0 / 16 }, labels: $0.labels)
        }
        let (trainImages, testImages) = (scale(train), scale(test))
        let layout = try NetworkDescription(
            input: [8, 8, 1],
            layers: [
                LayerDescription(type: "conv2d", filters: 8, kernel: [3], padding: [1]),
                LayerDescription(type: "group_norm", groups: 2),
                LayerDescription(type: "relu"), LayerDescription(type: "max_pool", kernel: [2]),
                LayerDescription(type: "conv2d", filters: 16, kernel: [3], padding: [1]),
                LayerDescription(type: "relu"),
                LayerDescription(type: "flatten"), LayerDescription(type: "dense", units: 10),
            ]
        ).layout()
        var network = LayerNetwork(layout: layout, seed: 7)
        var optimizer = SGD(learningRate: 0.05, momentum: 0.9, parameterCount: network.parameters.count)
        var random = SeededRNG(seed: 1)
        var order = Array(0..<trainImages.count)
        for _ in 0..<10 {
            random.shuffle(&order)
            for start in stride(from: 0, to: order.count, by: 32) {
                let batch = trainImages.subset(Array(order[start..<min(start + 32, order.count)]))
                let (_, gradient) = network.lossAndGradient(
                    features: batch.features, labels: batch.labels, rows: batch.count)
                optimizer.step(parameters: &network.parameters, gradient: gradient)
            }
        }
        let probabilities = network.probabilities(features: testImages.features, rows: testImages.count)
        let correct = (0..<testImages.count).filter { row in
            let scores = probabilities[(row * 10)..<((row + 1) * 10)]
            return scores.firstIndex(of: scores.max()!)! - row * 10 == testImages.labels[row]
        }.count
        let accuracy = Double(correct) / Double(testImages.count)

        var mlp = MLP(architecture: try ModelArchitecture(parsing: "64-32-10"), seed: 7)
        let config = TrainingConfig(epochs: 10, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 1)
        Trainer.train(&mlp, on: trainImages, preprocessing: .identity(featureCount: 64), config: config)
        let mlpAccuracy = Trainer.accuracy(of: mlp, on: testImages, preprocessing: .identity(featureCount: 64))
        print("digits as 8×8 images: CNN held-out accuracy \(accuracy), MLP 64-32-10 \(mlpAccuracy)")
        XCTAssertGreaterThanOrEqual(accuracy, 0.95)
        XCTAssertGreaterThanOrEqual(accuracy, mlpAccuracy - 0.01)
    }
}
