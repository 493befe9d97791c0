import XCTest

@testable import StarlingCore

/// Each layer's backward pass against central finite differences of loss = Σ output · g for a
/// random g, on random inputs and parameters: strides, asymmetric padding, dilation, 1-D and
/// pointwise convolutions, depthwise multipliers, both average-pooling divisors, and a chain of
/// every layer as a DS-CNN-like block uses them.
final class LayerGradientTests: XCTestCase {
    private var random = SeededRNG(seed: 41)

    private func gaussian(_ count: Int, scale: Double = 1) -> [Float] {
        (0..<count).map { _ in Float(random.nextGaussian() * scale) }
    }

    /// Central differences of `loss` at `point`, one coordinate at a time.
    private func numericGradient(_ point: [Float], step: Float = 1e-2, _ loss: ([Float]) -> Double) -> [Double] {
        (0..<point.count).map { index in
            var plus = point
            var minus = point
            plus[index] += step
            minus[index] -= step
            return (loss(plus) - loss(minus)) / Double(plus[index] - minus[index])
        }
    }

    private func dot(_ output: [Float], _ gradient: [Float]) -> Double {
        zip(output, gradient).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    private func assertMatches(
        _ analytic: [Float], _ numeric: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
        let scale = max(1, numeric.map(abs).max() ?? 0)
        let worst = zip(analytic, numeric).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-2 * scale, "\(what): worst difference \(worst)", file: file, line: line)
    }

    func testConvolutionGradientsMatchFiniteDifferences() throws {
        let geometries: [(FeatureMapShape, Int, Window2D)] = [
            (
                FeatureMapShape(height: 5, width: 6, channels: 2), 3,
                Window2D(kernelHeight: 3, kernelWidth: 3, padding: Padding2D(1))
            ),
            (
                FeatureMapShape(height: 7, width: 6, channels: 3), 2,
                Window2D(
                    kernelHeight: 2, kernelWidth: 3, strideHeight: 2, strideWidth: 1,
                    padding: Padding2D(top: 0, left: 2, bottom: 1, right: 0), dilationHeight: 2, dilationWidth: 1)
            ),
            (
                FeatureMapShape(height: 1, width: 11, channels: 2), 4,
                .oneDimensional(kernel: 3, stride: 2, paddingLeft: 1, dilation: 2)
            ),
            (FeatureMapShape(height: 3, width: 3, channels: 4), 2, Window2D(kernelHeight: 1, kernelWidth: 1)),
        ]
        for (input, outputChannels, window) in geometries {
            let layer = try Convolution(name: "conv", input: input, outputChannels: outputChannels, window: window)
            let batch = 2
            let values = gaussian(batch * input.count)
            let weights = gaussian(layer.weightCount, scale: 0.5)
            let bias = gaussian(layer.biasCount)
            let upstream = gaussian(batch * layer.output.count)
            func loss(_ values: [Float], _ weights: [Float], _ bias: [Float]) -> Double {
                let output = weights.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in layer.forward(values, batch: batch, weights: w, bias: b).output
                    }
                }
                return dot(output, upstream)
            }
            var weightGradient = [Float](repeating: 0, count: weights.count)
            var biasGradient = [Float](repeating: 0, count: bias.count)
            let inputGradient = weights.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    let activations = layer.forward(values, batch: batch, weights: w, bias: b)
                    return weightGradient.withUnsafeMutableBufferPointer { dw in
                        biasGradient.withUnsafeMutableBufferPointer { db in
                            layer.backward(
                                outputGradient: upstream, activations: activations, batch: batch, weights: w,
                                weightGradient: dw, biasGradient: db, inputGradient: true)
                        }
                    }
                }
            }
            let name = "conv \(input) → \(layer.output)"
            assertMatches(
                try XCTUnwrap(inputGradient), numericGradient(values) { loss($0, weights, bias) }, "\(name) input")
            assertMatches(weightGradient, numericGradient(weights) { loss(values, $0, bias) }, "\(name) weights")
            assertMatches(biasGradient, numericGradient(bias) { loss(values, weights, $0) }, "\(name) bias")
        }
    }

    func testDepthwiseGradientsMatchFiniteDifferences() throws {
        let cases: [(FeatureMapShape, Int, Window2D)] = [
            (
                FeatureMapShape(height: 5, width: 5, channels: 3), 1,
                Window2D(kernelHeight: 3, kernelWidth: 3, padding: Padding2D(1))
            ),
            (
                FeatureMapShape(height: 6, width: 7, channels: 2), 3,
                Window2D(
                    kernelHeight: 3, kernelWidth: 2, strideHeight: 2, strideWidth: 2,
                    padding: Padding2D(top: 1, left: 0, bottom: 0, right: 1), dilationHeight: 1, dilationWidth: 2)
            ),
        ]
        for (input, multiplier, window) in cases {
            let layer = try DepthwiseConvolution(name: "dw", input: input, multiplier: multiplier, window: window)
            let batch = 2
            let values = gaussian(batch * input.count)
            let weights = gaussian(layer.weightCount, scale: 0.5)
            let bias = gaussian(layer.biasCount)
            let upstream = gaussian(batch * layer.output.count)
            func loss(_ values: [Float], _ weights: [Float], _ bias: [Float]) -> Double {
                let output = weights.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in layer.forward(values, batch: batch, weights: w, bias: b) }
                }
                return dot(output, upstream)
            }
            var weightGradient = [Float](repeating: 0, count: weights.count)
            var biasGradient = [Float](repeating: 0, count: bias.count)
            let inputGradient = weights.withUnsafeBufferPointer { w in
                weightGradient.withUnsafeMutableBufferPointer { dw in
                    biasGradient.withUnsafeMutableBufferPointer { db in
                        layer.backward(
                            outputGradient: upstream, input: values, batch: batch, weights: w, weightGradient: dw,
                            biasGradient: db, inputGradient: true)
                    }
                }
            }
            let name = "depthwise ×\(multiplier) \(input) → \(layer.output)"
            assertMatches(
                try XCTUnwrap(inputGradient), numericGradient(values) { loss($0, weights, bias) }, "\(name) input")
            assertMatches(weightGradient, numericGradient(weights) { loss(values, $0, bias) }, "\(name) weights")
            assertMatches(biasGradient, numericGradient(bias) { loss(values, weights, $0) }, "\(name) bias")
        }
    }

    func testPoolingGradientsMatchFiniteDifferences() throws {
        let input = FeatureMapShape(height: 7, width: 6, channels: 2)
        let batch = 2
        // Values spaced 0.1 apart, shuffled: no two in a window are within a finite-difference step.
        var values = (0..<(batch * input.count)).map { Float($0) * 0.1 }
        random.shuffle(&values)
        let window = Window2D(
            kernelHeight: 3, kernelWidth: 2, strideHeight: 2, strideWidth: 2,
            padding: Padding2D(top: 1, left: 1, bottom: 0, right: 0))
        let maximum = try MaxPooling(name: "max", input: input, window: window)
        let upstream = gaussian(batch * maximum.output.count)
        let (_, indices) = maximum.forward(values, batch: batch)
        assertMatches(
            maximum.backward(outputGradient: upstream, maximumIndices: indices, batch: batch),
            numericGradient(values, step: 1e-2) { dot(maximum.forward($0, batch: batch).output, upstream) },
            "max pooling")
        for countsPadding in [true, false] {
            let average = try AveragePooling(name: "avg", input: input, window: window, countsPadding: countsPadding)
            assertMatches(
                average.backward(outputGradient: upstream, batch: batch),
                numericGradient(values) { dot(average.forward($0, batch: batch), upstream) },
                "average pooling \(countsPadding)")
        }
        let global = try GlobalAveragePooling(name: "gap", input: input)
        let globalUpstream = gaussian(batch * input.channels)
        assertMatches(
            global.backward(outputGradient: globalUpstream, batch: batch),
            numericGradient(values) { dot(global.forward($0, batch: batch), globalUpstream) }, "global average pooling")
    }

    func testGroupNormalizationGradientsMatchFiniteDifferences() throws {
        let shape = FeatureMapShape(height: 3, width: 4, channels: 6)
        let layer = try GroupNormalization(name: "gn", shape: shape, groups: 3)
        let batch = 2
        let values = gaussian(batch * shape.count, scale: 2)
        let gamma = gaussian(shape.channels)
        let beta = gaussian(shape.channels)
        let upstream = gaussian(batch * shape.count)
        func loss(_ values: [Float], _ gamma: [Float], _ beta: [Float]) -> Double {
            let output = gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in layer.forward(values, batch: batch, gamma: g, beta: b).output }
            }
            return dot(output, upstream)
        }
        var gammaGradient = [Float](repeating: 0, count: gamma.count)
        var betaGradient = [Float](repeating: 0, count: beta.count)
        let inputGradient = gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                let activations = layer.forward(values, batch: batch, gamma: g, beta: b)
                return gammaGradient.withUnsafeMutableBufferPointer { dg in
                    betaGradient.withUnsafeMutableBufferPointer { db in
                        layer.backward(
                            outputGradient: upstream, activations: activations, batch: batch, gamma: g,
                            gammaGradient: dg,
                            betaGradient: db)
                    }
                }
            }
        }
        assertMatches(inputGradient, numericGradient(values, step: 1e-3) { loss($0, gamma, beta) }, "group norm input")
        assertMatches(gammaGradient, numericGradient(gamma) { loss(values, $0, beta) }, "group norm gamma")
        assertMatches(betaGradient, numericGradient(beta) { loss(values, gamma, $0) }, "group norm beta")
    }

    /// conv → group norm → ReLU6 → max pool → depthwise → ReLU → global average: the layers chain on
    /// their shapes, and the chained backward passes give the input's gradient.
    func testAChainOfEveryLayerBackpropagatesToItsInput() throws {
        let batch = 2
        let input = FeatureMapShape(height: 8, width: 6, channels: 1)
        let conv = try Convolution(
            name: "conv", input: input, outputChannels: 4,
            window: Window2D(kernelHeight: 3, kernelWidth: 3, padding: Padding2D(1)))
        let norm = try GroupNormalization(name: "gn", shape: conv.output, groups: 2)
        let pool = try MaxPooling(
            name: "pool", input: conv.output,
            window: Window2D(kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2))
        let depthwise = try DepthwiseConvolution(
            name: "dw", input: pool.output, multiplier: 2,
            window: Window2D(kernelHeight: 3, kernelWidth: 3, padding: Padding2D(1)))
        let global = try GlobalAveragePooling(name: "gap", input: depthwise.output)
        let convWeights = gaussian(conv.weightCount, scale: 0.5)
        let convBias = gaussian(conv.biasCount, scale: 0.1)
        let gamma = gaussian(norm.shape.channels)
        let beta = gaussian(norm.shape.channels)
        let depthwiseWeights = gaussian(depthwise.weightCount, scale: 0.5)
        let depthwiseBias = gaussian(depthwise.biasCount, scale: 0.1)
        let upstream = gaussian(batch * global.output.count)
        let values = gaussian(batch * input.count)

        struct Pass {
            var conv: Convolution.Activations
            var norm: GroupNormalization.Activations
            var clipped: [Float]
            var pooled: [Float]
            var indices: [Int]
            var depthwise: [Float]
            var rectified: [Float]
            var output: [Float]
        }
        func forward(_ values: [Float]) -> Pass {
            convWeights.withUnsafeBufferPointer { cw in
                convBias.withUnsafeBufferPointer { cb in
                    gamma.withUnsafeBufferPointer { g in
                        beta.withUnsafeBufferPointer { b in
                            depthwiseWeights.withUnsafeBufferPointer { dw in
                                depthwiseBias.withUnsafeBufferPointer { db in
                                    let c = conv.forward(values, batch: batch, weights: cw, bias: cb)
                                    let n = norm.forward(c.output, batch: batch, gamma: g, beta: b)
                                    let clipped = ClippedRectifier.relu6.forward(n.output)
                                    let (pooled, indices) = pool.forward(clipped, batch: batch)
                                    let d = depthwise.forward(pooled, batch: batch, weights: dw, bias: db)
                                    let rectified = ClippedRectifier.relu.forward(d)
                                    return Pass(
                                        conv: c, norm: n, clipped: clipped, pooled: pooled, indices: indices,
                                        depthwise: d,
                                        rectified: rectified, output: global.forward(rectified, batch: batch))
                                }
                            }
                        }
                    }
                }
            }
        }
        let pass = forward(values)
        var scratch = [Float](repeating: 0, count: max(conv.weightCount, depthwise.weightCount, 64))
        var scratchBias = scratch
        let inputGradient = try scratch.withUnsafeMutableBufferPointer { scratch in
            try scratchBias.withUnsafeMutableBufferPointer { scratchBias in
                try convWeights.withUnsafeBufferPointer { cw in
                    try gamma.withUnsafeBufferPointer { g in
                        try depthwiseWeights.withUnsafeBufferPointer { dw in
                            var delta = global.backward(outputGradient: upstream, batch: batch)
                            delta = ClippedRectifier.relu.backward(outputGradient: delta, output: pass.rectified)
                            delta = try XCTUnwrap(
                                depthwise.backward(
                                    outputGradient: delta, input: pass.pooled, batch: batch, weights: dw,
                                    weightGradient: scratch.slice(0, depthwise.weightCount),
                                    biasGradient: scratchBias.slice(0, depthwise.biasCount), inputGradient: true))
                            delta = pool.backward(outputGradient: delta, maximumIndices: pass.indices, batch: batch)
                            delta = ClippedRectifier.relu6.backward(outputGradient: delta, output: pass.clipped)
                            delta = norm.backward(
                                outputGradient: delta, activations: pass.norm, batch: batch, gamma: g,
                                gammaGradient: scratch.slice(0, norm.shape.channels),
                                betaGradient: scratchBias.slice(0, norm.shape.channels))
                            return try XCTUnwrap(
                                conv.backward(
                                    outputGradient: delta, activations: pass.conv, batch: batch, weights: cw,
                                    weightGradient: scratch.slice(0, conv.weightCount),
                                    biasGradient: scratchBias.slice(0, conv.biasCount), inputGradient: true))
                        }
                    }
                }
            }
        }
        XCTAssertEqual(global.output, FeatureMapShape(height: 1, width: 1, channels: 8))
        assertMatches(
            inputGradient, numericGradient(values, step: 1e-3) { dot(forward($0).output, upstream) }, "chain input")
    }
}
