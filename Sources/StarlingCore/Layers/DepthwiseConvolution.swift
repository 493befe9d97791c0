/// A depthwise 2-D convolution: each input channel is convolved on its own with `multiplier`
/// kernels, giving channels × multiplier outputs (channel c's m-th output is c·multiplier + m), as
/// in MobileNet and DS-CNN blocks. There is nothing to share between channels, so it runs as direct
/// loops whose innermost loop walks the contiguous channels of a position, not as a matrix product.
///
/// Weights are [kernelHeight, kernelWidth, channels × multiplier] row-major (TFLite's layout without
/// its leading 1), biases [channels × multiplier].
public struct DepthwiseConvolution: Sendable, Equatable {
    public let name: String
    public let input: FeatureMapShape
    public let output: FeatureMapShape
    public let window: Window2D
    public let multiplier: Int

    /// Checks the description against its input; the error names the layer and what does not fit.
    public init(name: String, input: FeatureMapShape, multiplier: Int, window: Window2D) throws(LayerShapeError) {
        let input = try input.validated(layer: name, role: "input")
        guard multiplier >= 1, multiplier <= FeatureMapShape.maximumSide else {
            throw LayerShapeError(
                layer: name,
                reason:
                    "its channel multiplier is \(multiplier); it must be between 1 and \(FeatureMapShape.maximumSide)")
        }
        let (height, width) = try window.outputSize(layer: name, input: input)
        self.name = name
        self.input = input
        self.window = window
        self.multiplier = multiplier
        self.output = try FeatureMapShape(height: height, width: width, channels: input.channels * multiplier)
            .validated(layer: name, role: "output")
    }

    public var weightCount: Int { window.kernelHeight * window.kernelWidth * output.channels }
    public var biasCount: Int { output.channels }

    /// Calls `body(outputOffset, kernelIndex, inputOffset)` for every output position of the batch
    /// and every kernel position inside the input, with the offsets of each position's first channel.
    private func forEachWindowPosition(batch: Int, _ body: (Int, Int, Int) -> Void) {
        window.forEachTap(input: input, output: output, batch: batch) { outputPosition, kernelIndex, inputPosition in
            body(outputPosition * output.channels, kernelIndex, inputPosition * input.channels)
        }
    }

    /// The layer's output for `batch` examples.
    /// The layer's output for `batch` examples, in `storage`'s memory when it can hold it.
    public func forward(
        _ values: [Float], batch: Int, weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
        reusing storage: consuming [Float] = []
    ) -> [Float] {
        precondition(
            values.count == batch * input.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(input.count)")
        precondition(weights.count == weightCount && bias.count == biasCount, "\(name): wrong parameter counts")
        let outputs = output.channels
        var result = [Float].reusing(consume storage, count: batch * output.count)
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                for position in 0..<(batch * output.height * output.width) {
                    _ = out.slice(position * outputs, outputs).update(fromContentsOf: bias)
                }
                guard let target = out.baseAddress, let x = source.baseAddress, let w = weights.baseAddress else {
                    return
                }
                forEachWindowPosition(batch: batch) { outputOffset, kernelIndex, inputOffset in
                    let weightOffset = kernelIndex * outputs
                    if multiplier == 1 {
                        addProducts(target + outputOffset, x + inputOffset, w + weightOffset, count: outputs)
                        return
                    }
                    for channel in 0..<input.channels {
                        let value = source[inputOffset + channel]
                        for copy in 0..<multiplier {
                            let outputChannel = channel * multiplier + copy
                            out[outputOffset + outputChannel] += value * weights[weightOffset + outputChannel]
                        }
                    }
                }
            }
        }
        return result
    }

    /// Adds the weights' and biases' gradients to `weightGradient` and `biasGradient` and returns the
    /// input's gradient when asked for it.
    public func backward(
        outputGradient: [Float], input values: [Float], batch: Int, weights: UnsafeBufferPointer<Float>,
        weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>,
        inputGradient wanted: Bool
    ) -> [Float]? {
        addParameterGradients(
            outputGradient: outputGradient, input: values, batch: batch, weightGradient: weightGradient,
            biasGradient: biasGradient)
        return wanted ? inputGradient(outputGradient: outputGradient, batch: batch, weights: weights) : nil
    }

    /// Adds dW[k, o] = Σ δ[o]·x[k, o's channel] over the batch's positions, and db = Σ δ.
    func addParameterGradients(
        outputGradient: [Float], input values: [Float], batch: Int, weightGradient: UnsafeMutableBufferPointer<Float>,
        biasGradient: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(outputGradient.count == batch * output.count, "\(name): output gradient has the wrong size")
        precondition(
            weightGradient.count == weightCount && biasGradient.count == biasCount, "\(name): wrong gradient counts")
        let outputs = output.channels
        outputGradient.withUnsafeBufferPointer { upstream in
            if let target = biasGradient.baseAddress, let dy = upstream.baseAddress {
                for position in 0..<(batch * output.height * output.width) {
                    addValues(target, dy + position * outputs, count: outputs)
                }
            }
            values.withUnsafeBufferPointer { source in
                guard let target = weightGradient.baseAddress, let dy = upstream.baseAddress, let x = source.baseAddress
                else { return }
                forEachWindowPosition(batch: batch) { outputOffset, kernelIndex, inputOffset in
                    let weightOffset = kernelIndex * outputs
                    if multiplier == 1 {
                        addProducts(target + weightOffset, dy + outputOffset, x + inputOffset, count: outputs)
                        return
                    }
                    for channel in 0..<input.channels {
                        let value = source[inputOffset + channel]
                        for copy in 0..<multiplier {
                            let outputChannel = channel * multiplier + copy
                            weightGradient[weightOffset + outputChannel] +=
                                upstream[outputOffset + outputChannel] * value
                        }
                    }
                }
            }
        }
    }

    /// The input's gradient: each output's gradient times its weight, added onto the position read.
    func inputGradient(
        outputGradient: [Float], batch: Int, weights: UnsafeBufferPointer<Float>,
        reusing storage: consuming [Float] = []
    ) -> [Float] {
        let outputs = output.channels
        var gradient = [Float].zeros(batch * input.count, reusing: consume storage)
        outputGradient.withUnsafeBufferPointer { upstream in
            gradient.withUnsafeMutableBufferPointer { inputGradient in
                guard let target = inputGradient.baseAddress, let dy = upstream.baseAddress,
                    let w = weights.baseAddress
                else { return }
                forEachWindowPosition(batch: batch) { outputOffset, kernelIndex, inputOffset in
                    let weightOffset = kernelIndex * outputs
                    if multiplier == 1 {
                        addProducts(target + inputOffset, dy + outputOffset, w + weightOffset, count: outputs)
                        return
                    }
                    for channel in 0..<input.channels {
                        var sum: Float = 0
                        for copy in 0..<multiplier {
                            let outputChannel = channel * multiplier + copy
                            sum += upstream[outputOffset + outputChannel] * weights[weightOffset + outputChannel]
                        }
                        inputGradient[inputOffset + channel] += sum
                    }
                }
            }
        }
        return gradient
    }
}
