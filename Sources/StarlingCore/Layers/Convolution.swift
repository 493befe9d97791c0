/// A 2-D convolution (and, on maps of height 1, a 1-D one) over channels-last feature maps, with
/// stride, asymmetric zero padding and dilation. It runs as one matrix product per batch: the input
/// is unfolded (im2col) into one row per output position holding the window's kernelHeight ×
/// kernelWidth × channels values, and the rows times the weights give every output channel of that
/// position (OpenBLAS sgemm). The backward pass is two more products and the fold back (col2im).
///
/// Weights are [outputChannels, kernelHeight, kernelWidth, inputChannels] row-major, so each output
/// channel's weights are one row matching an unfolded window; biases are [outputChannels].
public struct Convolution: Sendable, Equatable {
    public let name: String
    public let input: FeatureMapShape
    public let output: FeatureMapShape
    public let window: Window2D

    /// Checks the description against its input; the error names the layer and what does not fit.
    public init(name: String, input: FeatureMapShape, outputChannels: Int, window: Window2D) throws(LayerShapeError) {
        let input = try input.validated(layer: name, role: "input")
        let (height, width) = try window.outputSize(layer: name, input: input)
        self.name = name
        self.input = input
        self.window = window
        self.output = try FeatureMapShape(height: height, width: width, channels: outputChannels)
            .validated(layer: name, role: "output")
        let (weights, overflow) = outputChannels.multipliedReportingOverflow(by: patchSize)
        guard !overflow, weights <= FeatureMapShape.maximumElementCount else {
            throw LayerShapeError(
                layer: name, reason: "its kernel holds more than \(FeatureMapShape.maximumElementCount) weights")
        }
    }

    /// Values in one unfolded window: kernelHeight × kernelWidth × input channels.
    public var patchSize: Int { window.kernelHeight * window.kernelWidth * input.channels }
    public var weightCount: Int { output.channels * patchSize }
    public var biasCount: Int { output.channels }

    /// A 1×1 window with stride 1 and no padding reads each input position as its own row, so the
    /// input is already unfolded.
    var isPointwise: Bool {
        window.kernelHeight == 1 && window.kernelWidth == 1 && window.strideHeight == 1 && window.strideWidth == 1
            && window.padding == .none
    }

    /// The unfolded input a forward pass keeps for its backward pass.
    public struct Activations: Sendable {
        /// One row per output position of the batch, `patchSize` values each.
        public var columns: [Float]
        public var output: [Float]
    }

    /// The layer's output for `batch` examples (`input.count` values each) and what the backward
    /// pass needs.
    /// With `reusing`, the activations of an earlier pass lend their memory.
    public func forward(
        _ values: [Float], batch: Int, weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
        reusing storage: consuming Activations? = nil
    ) -> Activations {
        precondition(
            values.count == batch * input.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(input.count)")
        precondition(weights.count == weightCount && bias.count == biasCount, "\(name): wrong parameter counts")
        let rows = batch * output.height * output.width
        var old = (consume storage) ?? Activations(columns: [], output: [])
        let columns = isPointwise ? values : unfold(values, batch: batch, reusing: old.columns.moveOut())
        var result = [Float].reusing(old.output.moveOut(), count: rows * output.channels)
        result.withUnsafeMutableBufferPointer { out in
            for row in 0..<rows {
                _ = out.slice(row * output.channels, output.channels).update(fromContentsOf: bias)
            }
            columns.withUnsafeBufferPointer { columns in
                BLAS.gemm(
                    .none, .transposed, m: rows, n: output.channels, k: patchSize, a: columns, b: weights, beta: 1,
                    c: out)
            }
        }
        return Activations(columns: columns, output: result)
    }

    /// Adds the weights' and biases' gradients for `outputGradient` (one value per output element)
    /// to `weightGradient` and `biasGradient`, and returns the input's gradient when asked for it.
    public func backward(
        outputGradient: [Float], activations: Activations, batch: Int, weights: UnsafeBufferPointer<Float>,
        weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>,
        inputGradient wanted: Bool
    ) -> [Float]? {
        addParameterGradients(
            outputGradient: outputGradient, activations: activations, batch: batch, weightGradient: weightGradient,
            biasGradient: biasGradient)
        guard wanted else { return nil }
        var columnScratch: [Float] = []
        return inputGradient(
            outputGradient: outputGradient, batch: batch, weights: weights, columnScratch: &columnScratch)
    }

    /// Adds dW = δᵀ·U (δ one row per output position, U the unfolded input) and db = Σ δ.
    func addParameterGradients(
        outputGradient: [Float], activations: Activations, batch: Int,
        weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>
    ) {
        let rows = batch * output.height * output.width
        precondition(outputGradient.count == rows * output.channels, "\(name): output gradient has the wrong size")
        precondition(
            weightGradient.count == weightCount && biasGradient.count == biasCount, "\(name): wrong gradient counts")
        outputGradient.withUnsafeBufferPointer { gradient in
            activations.columns.withUnsafeBufferPointer { columns in
                BLAS.gemm(
                    .transposed, .none, m: output.channels, n: patchSize, k: rows, a: gradient, b: columns, beta: 1,
                    c: weightGradient)
            }
            for row in 0..<rows {
                for channel in 0..<output.channels {
                    biasGradient[channel] += gradient[row * output.channels + channel]
                }
            }
        }
    }

    /// The input's gradient: δ·W folded back onto the positions each window read.
    /// `columnScratch` lends its memory to the unfolded gradient and `storage` to the input's.
    func inputGradient(
        outputGradient: [Float], batch: Int, weights: UnsafeBufferPointer<Float>,
        columnScratch: inout [Float], reusing storage: consuming [Float] = []
    ) -> [Float] {
        let rows = batch * output.height * output.width
        guard !isPointwise else {
            return product(outputGradient, weights, rows: rows, reusing: consume storage)
        }
        let columnGradient = product(outputGradient, weights, rows: rows, reusing: columnScratch.moveOut())
        let gradient = fold(columnGradient, batch: batch, reusing: consume storage)
        columnScratch = columnGradient
        return gradient
    }

    /// δ·W: each output position's gradient with respect to its unfolded window.
    private func product(
        _ outputGradient: [Float], _ weights: UnsafeBufferPointer<Float>, rows: Int, reusing storage: consuming [Float]
    ) -> [Float] {
        var columnGradient = [Float].reusing(consume storage, count: rows * patchSize)
        outputGradient.withUnsafeBufferPointer { gradient in
            columnGradient.withUnsafeMutableBufferPointer { columns in
                BLAS.gemm(
                    .none, .none, m: rows, n: patchSize, k: output.channels, a: gradient, b: weights, beta: 0,
                    c: columns)
            }
        }
        return columnGradient
    }
}
