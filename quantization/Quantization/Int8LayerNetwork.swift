internal import CStarlingInt8
import StarlingCore

/// A ``LayerNetwork`` run in int8 on one kernel path, the phase-one runtime of convolutional models.
///
/// Convolutions quantize each example's input map with one symmetric scale, unfold it (im2col) into
/// the GEMM kernels' row layout and multiply with weights quantized per filter; depthwise layers run
/// the depthwise kernel with weights quantized per output channel; dense layers are the int8 GEMM as
/// in ``Int8Predictor``. Accumulators are dequantized with the example's and the channel's scales
/// plus the float bias (and a ReLU that follows the layer, fused there); pooling, group
/// normalisation, ReLU6 and other ReLUs run in float between them. Every
/// kernel path gives the portable path's int32 results and the epilogues are the same code, so the
/// probabilities are bit for bit the same on every path.
public final class Int8LayerNetwork: @unchecked Sendable {
    /// One stage: an int8 layer with its packed or quantized weights, or a float layer.
    private enum Stage {
        case gemm(inputs: Int32, outputs: Int32, packed: UnsafeMutableRawPointer, scales: [Float], bias: [Float])
        case convolution(
            Convolution, window: starling_i8_window, packed: UnsafeMutableRawPointer, scales: [Float], bias: [Float])
        case depthwise(
            DepthwiseConvolution, window: starling_i8_window, weights: [Int8], scales: [Float], bias: [Float])
        case float(PlacedLayer)

        var isInt8: Bool {
            if case .float = self { return false }
            return true
        }
    }

    public let path: Int8KernelPath
    public let layout: NetworkLayout
    private let stages: [Stage]
    /// Each stage's activation, applied as its accumulators are dequantized: ReLU when a ReLU
    /// follows an int8 layer (the ReLU stage is then dropped), identity otherwise.
    private let activations: [starling_i8_activation]
    /// Group normalisation's gamma and beta by layer index.
    private let floatParameters: [Int: (gamma: [Float], beta: [Float])]

    /// Quantizes `network`'s weights and packs them for `path` (default: the best supported path).
    public convenience init(network: LayerNetwork, path: Int8KernelPath = .best) {
        self.init(quantized: QuantizedNetwork(network: network), path: path)
    }

    /// Packs already quantized weights for `path` (default: the best supported path).
    public init(quantized: QuantizedNetwork, path: Int8KernelPath = .best) {
        precondition(path.isSupported, "kernel path \(path) is not supported on this machine")
        self.path = path
        self.layout = quantized.layout
        let byIndex = Dictionary(uniqueKeysWithValues: quantized.layers.map { ($0.index, $0) })
        var floatParameters: [Int: (gamma: [Float], beta: [Float])] = [:]
        for layer in quantized.layers {
            if case .float(let gamma) = layer.weight { floatParameters[layer.index] = (gamma, layer.bias) }
        }
        self.floatParameters = floatParameters
        let unfused = quantized.layout.layers.map { placed -> Stage in
            guard let parameters = byIndex[placed.index], case .int8(let weights) = parameters.weight else {
                return .float(placed)
            }
            let bias = parameters.bias
            switch placed.layer {
            case .dense(let layer):
                return .gemm(
                    inputs: Int32(layer.inputs), outputs: Int32(layer.outputs), packed: Self.pack(weights, path: path),
                    scales: weights.scales, bias: bias)
            case .convolution(let layer):
                return .convolution(
                    layer, window: Self.window(layer.input, layer.output, layer.window, multiplier: 1),
                    packed: Self.pack(weights, path: path), scales: weights.scales, bias: bias)
            case .depthwise(let layer):
                // The kernel reads the taps channels-last, [taps, channels].
                return .depthwise(
                    layer, window: Self.window(layer.input, layer.output, layer.window, multiplier: layer.multiplier),
                    weights: QuantizedNetwork.transpose(weights.values, rows: weights.rows, columns: weights.columns),
                    scales: weights.scales, bias: bias)
            case .maxPooling, .averagePooling, .globalAveragePooling, .groupNormalization, .rectifier, .flatten:
                return .float(placed)
            }
        }
        var stages: [Stage] = []
        var activations: [starling_i8_activation] = []
        for stage in unfused {
            if case .float(let placed) = stage, case .rectifier(.relu) = placed.layer,
                stages.last?.isInt8 == true, activations.last == STARLING_I8_ACT_IDENTITY
            {
                activations[activations.count - 1] = STARLING_I8_ACT_RELU
                continue
            }
            stages.append(stage)
            activations.append(STARLING_I8_ACT_IDENTITY)
        }
        self.stages = stages
        self.activations = activations
    }

    deinit {
        for (stage, activation) in zip(stages, activations) {
            switch stage {
            case .gemm(_, _, let packed, _, _), .convolution(_, _, let packed, _, _): packed.deallocate()
            case .depthwise, .float: break
            }
        }
    }

    /// Int8 weights [rows, columns] packed for `path`.
    private static func pack(_ weights: PerChannelInt8, path: Int8KernelPath) -> UnsafeMutableRawPointer {
        let (rows, columns) = (Int32(weights.rows), Int32(weights.columns))
        let packed = UnsafeMutableRawPointer.allocate(
            byteCount: starling_i8_packed_size(path.cValue, rows, columns), alignment: 64)
        weights.values.withUnsafeBufferPointer { values in
            starling_i8_pack(path.cValue, rows, columns, values.baseAddress, packed)
        }
        return packed
    }

    private static func window(_ input: FeatureMapShape, _ output: FeatureMapShape, _ window: Window2D, multiplier: Int)
        -> starling_i8_window
    {
        starling_i8_window(
            height: Int32(input.height), width: Int32(input.width), channels: Int32(input.channels),
            multiplier: Int32(multiplier), kernel_height: Int32(window.kernelHeight),
            kernel_width: Int32(window.kernelWidth),
            stride_height: Int32(window.strideHeight), stride_width: Int32(window.strideWidth),
            pad_top: Int32(window.padding.top), pad_left: Int32(window.padding.left),
            dilation_height: Int32(window.dilationHeight), dilation_width: Int32(window.dilationWidth),
            out_height: Int32(output.height), out_width: Int32(output.width))
    }

    /// Each example's values as int8 with one symmetric scale per example.
    private static func quantize(_ values: [Float], examples: Int) -> (values: [Int8], scales: [Float]) {
        var quantized = [Int8](repeating: 0, count: values.count)
        var scales = [Float](repeating: 0, count: examples)
        let width = examples == 0 ? 0 : values.count / examples
        values.withUnsafeBufferPointer { source in
            starling_i8_quantize_rows(
                Int32(examples), Int32(width), source.baseAddress, nil, nil, 0, &quantized, &scales)
        }
        return (quantized, scales)
    }

    /// activation(acc · rowScale · columnScale + bias) for `rows` rows of `columns` accumulators.
    private static func dequantize(
        _ accumulators: [Int32], rowScales: [Float], scales: [Float], bias: [Float],
        activation: starling_i8_activation
    ) -> [Float] {
        let columns = scales.count
        var output = [Float](repeating: 0, count: accumulators.count)
        starling_i8_dequantize(
            Int32(rowScales.count), Int32(columns), accumulators, rowScales, scales, bias, activation, &output)
        return output
    }

    /// Softmax probabilities, `rows × classes`, for `rows` examples of preprocessed features.
    public func probabilities(features: [Float], rows: Int) -> [Float] {
        precondition(features.count == rows * layout.inputSize, "features.count must equal rows × inputSize")
        guard rows > 0 else { return [] }
        var values = features
        for (stage, activation) in zip(stages, activations) {
            switch stage {
            case .gemm(let inputs, let outputs, let packed, let scales, let bias):
                let (quantized, rowScales) = Self.quantize(values, examples: rows)
                var accumulators = [Int32](repeating: 0, count: rows * Int(outputs))
                starling_i8_gemm(path.cValue, Int32(rows), outputs, inputs, quantized, packed, &accumulators)
                values = Self.dequantize(
                    accumulators, rowScales: rowScales, scales: scales, bias: bias, activation: activation)
            case .convolution(let layer, var window, let packed, let scales, let bias):
                let (quantized, exampleScales) = Self.quantize(values, examples: rows)
                let positions = layer.output.height * layer.output.width
                var unfolded = [Int8](repeating: 0, count: rows * positions * layer.patchSize)
                starling_i8_im2col(Int32(rows), &window, quantized, &unfolded)
                var accumulators = [Int32](repeating: 0, count: rows * positions * layer.output.channels)
                starling_i8_gemm(
                    path.cValue, Int32(rows * positions), Int32(layer.output.channels), Int32(layer.patchSize),
                    unfolded,
                    packed, &accumulators)
                let rowScales = exampleScales.flatMap { [Float](repeating: $0, count: positions) }
                values = Self.dequantize(
                    accumulators, rowScales: rowScales, scales: scales, bias: bias, activation: activation)
            case .depthwise(let layer, var window, let weights, let scales, let bias):
                let (quantized, exampleScales) = Self.quantize(values, examples: rows)
                let positions = layer.output.height * layer.output.width
                var accumulators = [Int32](repeating: 0, count: rows * layer.output.count)
                starling_i8_depthwise(path.cValue, Int32(rows), &window, quantized, weights, &accumulators)
                let rowScales = exampleScales.flatMap { [Float](repeating: $0, count: positions) }
                values = Self.dequantize(
                    accumulators, rowScales: rowScales, scales: scales, bias: bias, activation: activation)
            case .float(let placed):
                values = Self.runFloat(placed, values, rows: rows, parameters: floatParameters[placed.index])
            }
        }
        values.withUnsafeMutableBufferPointer { buffer in
            starling_i8_softmax_rows(Int32(rows), Int32(layout.classes), buffer.baseAddress)
        }
        return values
    }

    /// A layer without int8 weights, in float.
    private static func runFloat(
        _ placed: PlacedLayer, _ values: [Float], rows: Int, parameters: (gamma: [Float], beta: [Float])?
    ) -> [Float] {
        switch placed.layer {
        case .maxPooling(let layer): return layer.forward(values, batch: rows).output
        case .averagePooling(let layer): return layer.forward(values, batch: rows)
        case .globalAveragePooling(let layer): return layer.forward(values, batch: rows)
        case .rectifier(let function): return function.forward(values)
        case .flatten: return values
        case .groupNormalization(let layer):
            guard let parameters else { preconditionFailure("a quantized network keeps group normalisation's gamma") }
            return parameters.gamma.withUnsafeBufferPointer { gamma in
                parameters.beta.withUnsafeBufferPointer { beta in
                    layer.forward(values, batch: rows, gamma: gamma, beta: beta).output
                }
            }
        case .dense, .convolution, .depthwise:
            preconditionFailure("\(placed.layer) runs in int8")
        }
    }
}
