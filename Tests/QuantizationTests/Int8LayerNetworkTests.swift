import Foundation
import XCTest

@testable import Quantization
@testable import StarlingCore

/// Convolutional networks in int8: within a point of fp32 on held-out digits read as 8×8 images,
/// and bit for bit the same probabilities on every kernel path this machine runs.
final class Int8LayerNetworkTests: XCTestCase {
    /// A small CNN trained on the digits as 8×8×1 images scaled to 0…1, and the held-out images.
    private func trainedDigitsNetwork() throws -> (network: LayerNetwork, test: Dataset) {
        let table = try CSVTable.load(contentsOf: DigitsFixture.csv, labelColumn: "label")
        let data = try table.dataset(classes: table.distinctLabels)
        let (train, test) = data.split(fraction: 0.8, seed: 2024)
        let scale: (Dataset) -> Dataset = {
            Dataset(featureCount: 64, features: $0.features.map { $0 / 16 }, labels: $0.labels)
        }
        let images = scale(train)
        let layout = try NetworkDescription(
            input: [8, 8, 1],
            layers: [
                LayerDescription(type: "conv2d", filters: 8, kernel: [3], padding: [1]), LayerDescription(type: "relu"),
                LayerDescription(type: "depthwise_conv2d", kernel: [3], padding: [1]),
                LayerDescription(type: "group_norm", groups: 2), LayerDescription(type: "relu6"),
                LayerDescription(type: "max_pool", kernel: [2]),
                LayerDescription(type: "conv2d", filters: 16, kernel: [3], padding: [1]),
                LayerDescription(type: "relu"),
                LayerDescription(type: "flatten"), LayerDescription(type: "dense", units: 10),
            ]
        ).layout()
        var network = LayerNetwork(layout: layout, seed: 7)
        let config = TrainingConfig(epochs: 8, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 1)
        _ = Trainer.train(&network, on: images, preprocessing: .identity(featureCount: 64), config: config)
        return (network, scale(test))
    }

    func testInt8AccuracyIsWithinAPointOfFloatOnHeldOutDigitImages() throws {
        let (network, test) = try trainedDigitsNetwork()
        let float = accuracy(
            probabilities: network.probabilities(features: test.features, rows: test.count), labels: test.labels,
            classes: 10)
        let int8 = Int8LayerNetwork(network: network)
        let quantized = accuracy(
            probabilities: int8.probabilities(features: test.features, rows: test.count), labels: test.labels,
            classes: 10)
        print("digit images: fp32 \(float), int8 (\(int8.path)) \(quantized)")
        XCTAssertGreaterThanOrEqual(float, 0.93, "the network learned the digits")
        XCTAssertGreaterThanOrEqual(quantized, float - 0.01)
    }

    func testEveryKernelPathGivesTheSameProbabilitiesBitForBit() throws {
        let layout = try NetworkDescription(
            input: [11, 7, 3],
            layers: [
                LayerDescription(
                    type: "conv2d", filters: 12, kernel: [3, 2], stride: [2, 1], padding: [1, 0, 2, 1],
                    dilation: [1, 2]),
                LayerDescription(type: "relu"),
                LayerDescription(type: "depthwise_conv2d", multiplier: 2, kernel: [3], padding: [1]),
                LayerDescription(type: "depthwise_conv2d", kernel: [3], padding: [1]),
                LayerDescription(type: "group_norm", groups: 4), LayerDescription(type: "relu6"),
                LayerDescription(type: "conv2d", filters: 9, kernel: [1]),
                LayerDescription(type: "group_norm", groups: 3), LayerDescription(type: "relu"),
                LayerDescription(type: "avg_pool", kernel: [2]),
                LayerDescription(type: "global_avg_pool"), LayerDescription(type: "dense", units: 5),
            ]
        ).layout()
        let network = LayerNetwork(layout: layout, seed: 3)
        var random = SeededRNG(seed: 4)
        let rows = 5
        let features = (0..<(rows * layout.inputSize)).map { _ in Float(random.nextGaussian()) }
        let portable = Int8LayerNetwork(network: network, path: .portable).probabilities(features: features, rows: rows)
        let float = network.probabilities(features: features, rows: rows)
        let largest = zip(portable, float).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThan(largest, 0.05, "int8 probabilities stay close to float")
        XCTAssertGreaterThan(Int8KernelPath.supported.count, 1, "a vector path to compare with")
        for path in Int8KernelPath.supported {
            let probabilities = Int8LayerNetwork(network: network, path: path).probabilities(
                features: features, rows: rows)
            XCTAssertEqual(probabilities.map(\.bitPattern), portable.map(\.bitPattern), "\(path)")
        }
    }
}
