import Foundation
import StarlingCore

/// The cases of Vectors/layer_vectors.json, written by Vectors/make_layer_vectors.py with direct
/// float64 loops (no im2col) and checked there against finite differences: each layer's output and
/// its gradients for loss = Σ output · output_gradient.
struct LayerVectors: Decodable {
    struct Case: Decodable {
        let layer: String
        let name: String
        let batch: Int
        let inputShape: [Int]
        let outputShape: [Int]
        let input: [Float]
        let output: [Double]
        let outputGradient: [Float]?
        let inputGradient: [Double]?
        let kernel: [Int]?
        let stride: [Int]?
        let padding: [Int]?
        let dilation: [Int]?
        let multiplier: Int?
        let countPadding: Bool?
        let groups: Int?
        let epsilon: Float?
        let weight: [Float]?
        let bias: [Float]?
        let weightGradient: [Double]?
        let biasGradient: [Double]?
        let gamma: [Float]?
        let beta: [Float]?
        let gammaGradient: [Double]?
        let betaGradient: [Double]?
        let mean: [Float]?
        let variance: [Float]?

        var inputMap: FeatureMapShape {
            FeatureMapShape(height: inputShape[0], width: inputShape[1], channels: inputShape[2])
        }
        var outputMap: FeatureMapShape {
            FeatureMapShape(height: outputShape[0], width: outputShape[1], channels: outputShape[2])
        }

        /// The case's window; nil for layers without one.
        var window: Window2D? {
            guard let kernel, let stride, let padding, let dilation else { return nil }
            return Window2D(
                kernelHeight: kernel[0], kernelWidth: kernel[1], strideHeight: stride[0], strideWidth: stride[1],
                padding: Padding2D(top: padding[0], left: padding[1], bottom: padding[2], right: padding[3]),
                dilationHeight: dilation[0], dilationWidth: dilation[1])
        }
    }

    let seed: Int
    let cases: [Case]

    static func load() throws -> LayerVectors {
        let url = TestPaths.testsDirectory.appendingPathComponent("Vectors/layer_vectors.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LayerVectors.self, from: Data(contentsOf: url))
    }

    func cases(_ layer: String) -> [Case] { cases.filter { $0.layer == layer } }
}
