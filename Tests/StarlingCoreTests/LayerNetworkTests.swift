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

    /// DP-SGD's clipped sum from one batched pass equals clipping each example's own gradient: both
    /// ways a convolution's per-example norm is taken (from the product for the first, with many
    /// positions; from the Gram matrices for the last, with two), depthwise and group normalisation.
    func testClippedSumMatchesPerExampleGradientsClippedOneByOne() throws {
        let layout = try NetworkDescription(
            input: [6, 5, 2],
            layers: [
                LayerDescription(type: "conv2d", filters: 4, kernel: [3], padding: [1]),
                LayerDescription(type: "group_norm", groups: 2), LayerDescription(type: "relu"),
                LayerDescription(type: "max_pool", kernel: [2]),
                LayerDescription(type: "depthwise_conv2d", multiplier: 2, kernel: [3], padding: [1]),
                LayerDescription(type: "relu6"),
                LayerDescription(type: "conv2d", filters: 16, kernel: [3], stride: [2], padding: [1]),
                LayerDescription(type: "flatten"), LayerDescription(type: "dense", units: 3),
            ]
        ).layout()
        let ghost = layout.layers[6]
        guard case .convolution(let last) = ghost.layer, case .convolution(let first) = layout.layers[0].layer else {
            return XCTFail("layers 0 and 6 are convolutions")
        }
        let positions = (first.output.height * first.output.width, last.output.height * last.output.width)
        XCTAssertGreaterThanOrEqual(
            positions.0 * (first.patchSize + 4), first.patchSize * 4, "the first takes the product")
        XCTAssertLessThan(positions.1 * (last.patchSize + 16), last.patchSize * 16, "the last takes the Gram matrices")
        let network = LayerNetwork(layout: layout, seed: 11)
        var random = SeededRNG(seed: 12)
        let rows = 7
        let features = (0..<(rows * layout.inputSize)).map { _ in Float(random.nextGaussian()) }
        let labels = (0..<rows).map { _ in random.nextInt(below: 3) }
        for clipNorm: Float in [0.01, 0.5, 1000] {
            var expected = [Float](repeating: 0, count: network.parameters.count)
            var expectedNorms: [Float] = []
            var expectedLoss: Float = 0
            for row in 0..<rows {
                let example = Array(features[(row * layout.inputSize)..<((row + 1) * layout.inputSize)])
                let (loss, gradient) = network.lossAndGradient(features: example, labels: [labels[row]], rows: 1)
                let norm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let factor = min(1, clipNorm / norm)
                for index in expected.indices { expected[index] += 0.5 * gradient[index] * factor }
                expectedNorms.append(norm)
                expectedLoss += loss
            }
            let clipped = network.clippedGradientSum(
                features: features, labels: labels, rows: rows, clipNorm: clipNorm, scale: 0.5)
            XCTAssertEqual(clipped.lossSum, expectedLoss, accuracy: 1e-4)
            for (got, want) in zip(clipped.norms, expectedNorms) {
                XCTAssertEqual(got, want, accuracy: 1e-4 * max(1, want))
            }
            let scale = max(1, expected.map(abs).max() ?? 0)
            for (got, want) in zip(clipped.gradient, expected) {
                XCTAssertEqual(got, want, accuracy: 1e-5 * scale, "C = \(clipNorm)")
            }
            if clipNorm < 0.1 {
                XCTAssertTrue(expectedNorms.allSatisfy { $0 > clipNorm }, "the small bound clips every example")
            }
        }
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
        let config = TrainingConfig(epochs: 10, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 1)
        let report = Trainer.train(
            &network, on: trainImages, preprocessing: .identity(featureCount: 64), config: config)
        XCTAssertNil(report.divergence)
        let accuracy = Trainer.accuracy(of: network, on: testImages, preprocessing: .identity(featureCount: 64))

        var mlp = MLP(architecture: try ModelArchitecture(parsing: "64-32-10"), seed: 7)
        _ = Trainer.train(&mlp, on: trainImages, preprocessing: .identity(featureCount: 64), config: config)
        let mlpAccuracy = Trainer.accuracy(of: mlp, on: testImages, preprocessing: .identity(featureCount: 64))
        print("digits as 8×8 images: CNN held-out accuracy \(accuracy), MLP 64-32-10 \(mlpAccuracy)")
        XCTAssertGreaterThanOrEqual(accuracy, 0.95)
        XCTAssertGreaterThanOrEqual(accuracy, mlpAccuracy - 0.01)
    }
}
