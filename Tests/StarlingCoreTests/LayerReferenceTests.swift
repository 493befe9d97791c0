import XCTest

@testable import StarlingCore

/// Every convolutional-model layer against the float64 reference of Vectors/make_layer_vectors.py:
/// outputs and gradients agree to float32 rounding (relative 1e-4 of the largest value).
final class LayerReferenceTests: XCTestCase {
    private var vectors: LayerVectors!

    override func setUpWithError() throws {
        vectors = try LayerVectors.load()
    }

    private func assertClose(
        _ actual: [Float], _ expected: [Double]?, _ what: String, _ testCase: LayerVectors.Case,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let expected else { return XCTFail("\(testCase.name): no reference \(what)", file: file, line: line) }
        XCTAssertEqual(actual.count, expected.count, "\(testCase.name): \(what) size", file: file, line: line)
        let scale = max(1, expected.map(abs).max() ?? 0)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4 * scale, "\(testCase.name): \(what) differs by \(worst)", file: file, line: line)
    }

    func testConvolutionsMatchTheReferenceForwardAndBackward() throws {
        let cases = vectors.cases("conv2d") + vectors.cases("conv1d")
        XCTAssertEqual(cases.count, 6)
        for testCase in cases {
            let layer = try Convolution(
                name: testCase.name, input: testCase.inputMap, outputChannels: testCase.outputShape[2],
                window: XCTUnwrap(testCase.window))
            XCTAssertEqual(layer.output, testCase.outputMap, testCase.name)
            let weights = try XCTUnwrap(testCase.weight)
            let bias = try XCTUnwrap(testCase.bias)
            var weightGradient = [Float](repeating: 0, count: weights.count)
            var biasGradient = [Float](repeating: 0, count: bias.count)
            let inputGradient = weights.withUnsafeBufferPointer { weights in
                bias.withUnsafeBufferPointer { bias in
                    let activations = layer.forward(testCase.input, batch: testCase.batch, weights: weights, bias: bias)
                    assertClose(activations.output, testCase.output, "output", testCase)
                    return weightGradient.withUnsafeMutableBufferPointer { weightGradient in
                        biasGradient.withUnsafeMutableBufferPointer { biasGradient in
                            layer.backward(
                                outputGradient: testCase.outputGradient!, activations: activations,
                                batch: testCase.batch,
                                weights: weights, weightGradient: weightGradient, biasGradient: biasGradient,
                                inputGradient: true)
                        }
                    }
                }
            }
            assertClose(try XCTUnwrap(inputGradient), testCase.inputGradient, "input gradient", testCase)
            assertClose(weightGradient, testCase.weightGradient, "weight gradient", testCase)
            assertClose(biasGradient, testCase.biasGradient, "bias gradient", testCase)
        }
    }

    func testDepthwiseConvolutionMatchesTheReference() throws {
        let cases = vectors.cases("depthwise")
        XCTAssertGreaterThanOrEqual(cases.count, 2)
        for testCase in cases {
            let layer = try DepthwiseConvolution(
                name: testCase.name, input: testCase.inputMap, multiplier: XCTUnwrap(testCase.multiplier),
                window: XCTUnwrap(testCase.window))
            XCTAssertEqual(layer.output, testCase.outputMap, testCase.name)
            let weights = try XCTUnwrap(testCase.weight)
            let bias = try XCTUnwrap(testCase.bias)
            var weightGradient = [Float](repeating: 0, count: weights.count)
            var biasGradient = [Float](repeating: 0, count: bias.count)
            let inputGradient = weights.withUnsafeBufferPointer { weights in
                bias.withUnsafeBufferPointer { bias in
                    let output = layer.forward(testCase.input, batch: testCase.batch, weights: weights, bias: bias)
                    assertClose(output, testCase.output, "output", testCase)
                    return weightGradient.withUnsafeMutableBufferPointer { weightGradient in
                        biasGradient.withUnsafeMutableBufferPointer { biasGradient in
                            layer.backward(
                                outputGradient: testCase.outputGradient!, input: testCase.input, batch: testCase.batch,
                                weights: weights, weightGradient: weightGradient, biasGradient: biasGradient,
                                inputGradient: true)
                        }
                    }
                }
            }
            assertClose(try XCTUnwrap(inputGradient), testCase.inputGradient, "input gradient", testCase)
            assertClose(weightGradient, testCase.weightGradient, "weight gradient", testCase)
            assertClose(biasGradient, testCase.biasGradient, "bias gradient", testCase)
        }
    }

    func testPoolingMatchesTheReference() throws {
        for testCase in vectors.cases("max_pool") {
            let layer = try MaxPooling(
                name: testCase.name, input: testCase.inputMap, window: XCTUnwrap(testCase.window))
            XCTAssertEqual(layer.output, testCase.outputMap, testCase.name)
            let (output, indices) = layer.forward(testCase.input, batch: testCase.batch)
            assertClose(output, testCase.output, "output", testCase)
            let gradient = layer.backward(
                outputGradient: testCase.outputGradient!, maximumIndices: indices, batch: testCase.batch)
            assertClose(gradient, testCase.inputGradient, "input gradient", testCase)
        }
        let averages = vectors.cases("avg_pool")
        XCTAssertEqual(Set(averages.compactMap(\.countPadding)), [true, false])
        for testCase in averages {
            let layer = try AveragePooling(
                name: testCase.name, input: testCase.inputMap, window: XCTUnwrap(testCase.window),
                countsPadding: XCTUnwrap(testCase.countPadding))
            XCTAssertEqual(layer.output, testCase.outputMap, testCase.name)
            assertClose(layer.forward(testCase.input, batch: testCase.batch), testCase.output, "output", testCase)
            let gradient = layer.backward(outputGradient: testCase.outputGradient!, batch: testCase.batch)
            assertClose(gradient, testCase.inputGradient, "input gradient", testCase)
        }
        for testCase in vectors.cases("global_avg_pool") {
            let layer = try GlobalAveragePooling(name: testCase.name, input: testCase.inputMap)
            XCTAssertEqual(layer.output, testCase.outputMap, testCase.name)
            assertClose(layer.forward(testCase.input, batch: testCase.batch), testCase.output, "output", testCase)
            let gradient = layer.backward(outputGradient: testCase.outputGradient!, batch: testCase.batch)
            assertClose(gradient, testCase.inputGradient, "input gradient", testCase)
        }
    }

    func testGroupNormalizationMatchesTheReference() throws {
        let cases = vectors.cases("group_norm")
        XCTAssertEqual(cases.count, 3)
        for testCase in cases {
            let layer = try GroupNormalization(
                name: testCase.name, shape: testCase.inputMap, groups: XCTUnwrap(testCase.groups),
                epsilon: XCTUnwrap(testCase.epsilon))
            let gamma = try XCTUnwrap(testCase.gamma)
            let beta = try XCTUnwrap(testCase.beta)
            var gammaGradient = [Float](repeating: 0, count: gamma.count)
            var betaGradient = [Float](repeating: 0, count: beta.count)
            let inputGradient = gamma.withUnsafeBufferPointer { gamma in
                beta.withUnsafeBufferPointer { beta in
                    let activations = layer.forward(testCase.input, batch: testCase.batch, gamma: gamma, beta: beta)
                    assertClose(activations.output, testCase.output, "output", testCase)
                    return gammaGradient.withUnsafeMutableBufferPointer { gammaGradient in
                        betaGradient.withUnsafeMutableBufferPointer { betaGradient in
                            layer.backward(
                                outputGradient: testCase.outputGradient!, activations: activations,
                                batch: testCase.batch,
                                gamma: gamma, gammaGradient: gammaGradient, betaGradient: betaGradient)
                        }
                    }
                }
            }
            assertClose(inputGradient, testCase.inputGradient, "input gradient", testCase)
            assertClose(gammaGradient, testCase.gammaGradient, "gamma gradient", testCase)
            assertClose(betaGradient, testCase.betaGradient, "beta gradient", testCase)
        }
    }

    func testReLU6ClipsBothWaysAndPassesGradientOnlyBetween() throws {
        let testCase = try XCTUnwrap(vectors.cases("relu6").first)
        let output = ClippedRectifier.relu6.forward(testCase.input)
        assertClose(output, testCase.output, "output", testCase)
        XCTAssertTrue(testCase.input.contains { $0 > 6 } && testCase.input.contains { $0 < 0 })
        let gradient = ClippedRectifier.relu6.backward(outputGradient: testCase.outputGradient!, output: output)
        assertClose(gradient, testCase.inputGradient, "input gradient", testCase)
        XCTAssertEqual(ClippedRectifier.relu.forward([-1, 0.5, 7]), [0, 0.5, 7])
    }

    func testBatchNormalizationFoldedIntoTheConvolutionGivesTheSameOutput() throws {
        let testCase = try XCTUnwrap(vectors.cases("batch_norm_fold").first)
        let layer = try Convolution(
            name: testCase.name, input: testCase.inputMap, outputChannels: testCase.outputShape[2],
            window: XCTUnwrap(testCase.window))
        let normalization = try BatchNormalization(
            layer: "bn", gamma: XCTUnwrap(testCase.gamma), beta: XCTUnwrap(testCase.beta),
            mean: XCTUnwrap(testCase.mean),
            variance: XCTUnwrap(testCase.variance), epsilon: XCTUnwrap(testCase.epsilon))
        let (weights, bias) = normalization.folded(
            convolutionWeights: try XCTUnwrap(testCase.weight), bias: try XCTUnwrap(testCase.bias))
        let output = weights.withUnsafeBufferPointer { weights in
            bias.withUnsafeBufferPointer { bias in
                layer.forward(testCase.input, batch: testCase.batch, weights: weights, bias: bias).output
            }
        }
        assertClose(output, testCase.output, "folded output", testCase)
    }
}
