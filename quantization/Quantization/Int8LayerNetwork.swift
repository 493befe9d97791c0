internal import CStarlingInt8
import StarlingCore

/// A ``LayerNetwork`` run in int8 on one kernel path, the phase-one runtime of convolutional models.
///
/// Convolutions quantize each example's input map with one symmetric scale, unfold it (im2col) into
/// the GEMM kernels' row layout and multiply with weights quantized per filter; depthwise layers run
/// the depthwise kernel with weights quantized per output channel; dense layers are the int8 GEMM as
/// in ``Int8Predictor``. Accumulators are dequantized with the example's and the channel's scales
/// plus the float bias, with a group normalisation and a ReLU or ReLU6 that follow the layer fused
/// there (the normalisation's statistics come from the exact integer sums of the accumulators);
/// pooling and the other layers run in float between them. Every
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

        /// Whether the stage's output is a feature map whose accumulators a group normalisation can
        /// be computed from.
        var isMapInt8: Bool {
            switch self {
            case .convolution, .depthwise: true
            case .gemm, .float: false
            }
        }

        /// Products of two int8 values summed in each of the stage's accumulators.
        var taps: Int {
            switch self {
            case .gemm(let inputs, _, _, _, _): Int(inputs)
            case .convolution(let layer, _, _, _, _): layer.patchSize
            case .depthwise(let layer, _, _, _, _): layer.window.kernelHeight * layer.window.kernelWidth
            case .float: 0
            }
        }
    }

    /// A group normalisation computed in an int8 layer's epilogue.
    private struct FusedNormalization {
        /// Products summed in each accumulator of the layer before it (its kernel's taps).
        let taps: Int32
        let groups: Int32
        let epsilon: Float
        let gamma: [Float]
        let beta: [Float]
    }

    /// What follows an int8 stage's accumulators: a fused group normalisation, if any, then its
    /// activation (ReLU or ReLU6 when one follows the layer, whose stage is then dropped).
    private struct Epilogue {
        var normalization: FusedNormalization?
        var activation = STARLING_I8_ACT_IDENTITY
    }

    public let path: Int8KernelPath
    public let layout: NetworkLayout
    private let stages: [Stage]
    /// Each stage's epilogue, applied as its accumulators are dequantized.
    private let epilogues: [Epilogue]
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
        var epilogues: [Epilogue] = []
        for stage in unfused {
            if let last = stages.last,
                Self.fuse(stage, after: last, into: &epilogues[epilogues.count - 1], floatParameters: floatParameters)
            {
                continue
            }
            stages.append(stage)
            epilogues.append(Epilogue())
        }
        self.stages = stages
        self.epilogues = epilogues
    }

    /// Fuses `stage` into the epilogue of the int8 stage `last` before it, if it can: a group
    /// normalisation after a convolution with nothing fused yet, a ReLU or ReLU6 after an int8 layer
    /// without an activation yet (a normalisation after the activation cannot move before it).
    private static func fuse(
        _ stage: Stage, after last: Stage, into epilogue: inout Epilogue,
        floatParameters: [Int: (gamma: [Float], beta: [Float])]
    ) -> Bool {
        guard last.isInt8, case .float(let placed) = stage, epilogue.activation == STARLING_I8_ACT_IDENTITY else {
            return false
        }
        switch placed.layer {
        case .groupNormalization(let layer):
            guard last.isMapInt8, epilogue.normalization == nil, let parameters = floatParameters[placed.index] else {
                return false
            }
            epilogue.normalization = FusedNormalization(
                taps: Int32(last.taps), groups: Int32(layer.groups), epsilon: layer.epsilon, gamma: parameters.gamma,
                beta: parameters.beta)
            return true
        case .rectifier(let function):
            epilogue.activation = function == .relu ? STARLING_I8_ACT_RELU : STARLING_I8_ACT_RELU6
            return true
        default:
            return false
        }
    }

    deinit {
        for stage in stages {
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

    /// Softmax probabilities, `rows × classes`, for `rows` examples of preprocessed features, in
    /// chunks of at most 64 rows through one workspace made for the call; keep a ``Workspace`` (or an
    /// ``Int8Predictor``) for repeated calls.
    public func probabilities(features: [Float], rows: Int) -> [Float] {
        precondition(features.count == rows * layout.inputSize, "features.count must equal rows × inputSize")
        guard rows > 0 else { return [] }
        let workspace = Workspace(network: self, maximumRows: min(rows, 64))
        return probabilities(features: features, rows: rows, workspace: workspace)
    }

    /// Softmax probabilities, `rows × classes`, for `rows` examples of preprocessed features, with
    /// `workspace`'s buffers: no allocation but the result.
    public func probabilities(features: [Float], rows: Int, workspace: Workspace) -> [Float] {
        precondition(features.count == rows * layout.inputSize, "features.count must equal rows × inputSize")
        let classes = layout.classes
        return [Float](unsafeUninitializedCapacity: rows * classes) { output, initialized in
            features.withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = output.baseAddress else { return }
                var start = 0
                while start < rows {
                    let count = min(workspace.maximumRows, rows - start)
                    run(
                        source + start * layout.inputSize, rows: count, workspace: workspace,
                        into: target + start * classes)
                    start += count
                }
            }
            initialized = rows * classes
        }
    }

    /// Runs `rows` (at most the workspace's) examples at `input` into `output`'s `rows × classes`
    /// probabilities. Activations alternate between the workspace's two float buffers.
    func run(_ input: UnsafePointer<Float>, rows: Int, workspace: Workspace, into output: UnsafeMutablePointer<Float>) {
        precondition(
            rows <= workspace.maximumRows && workspace.owner == ObjectIdentifier(self),
            "a workspace made for this network and batch")
        let m = Int32(rows)
        var current = input
        var next = workspace.floats.0
        var spare = workspace.floats.1
        let (quantized, scales, accumulators) = (workspace.quantized, workspace.exampleScales, workspace.accumulators)
        for (stage, epilogue) in zip(stages, epilogues) {
            switch stage {
            case .gemm(let inputs, let outputs, let packed, let weightScales, let bias):
                starling_i8_quantize_rows(m, inputs, current, nil, nil, 0, quantized, scales)
                starling_i8_gemm(path.cValue, m, outputs, inputs, quantized, packed, accumulators)
                starling_i8_dequantize(m, outputs, accumulators, scales, weightScales, bias, epilogue.activation, next)
            case .convolution(let layer, var window, let packed, let weightScales, let bias):
                let positions = layer.output.height * layer.output.width
                starling_i8_quantize_rows(m, Int32(layer.input.count), current, nil, nil, 0, quantized, scales)
                // A 1×1 kernel at stride 1 without padding reads each position once: its unfolded rows
                // are the input itself.
                let isPointwise =
                    layer.patchSize == layer.input.channels && positions == layer.input.height * layer.input.width
                if !isPointwise { starling_i8_im2col(m, &window, quantized, workspace.unfolded) }
                starling_i8_gemm(
                    path.cValue, Int32(rows * positions), Int32(layer.output.channels), Int32(layer.patchSize),
                    isPointwise ? quantized : workspace.unfolded, packed, accumulators)
                finish(
                    epilogue, rows: rows, output: layer.output, weightScales: weightScales, bias: bias,
                    workspace: workspace, into: next)
            case .depthwise(let layer, var window, let weights, let weightScales, let bias):
                starling_i8_quantize_rows(m, Int32(layer.input.count), current, nil, nil, 0, quantized, scales)
                starling_i8_depthwise(path.cValue, m, &window, quantized, weights, accumulators)
                finish(
                    epilogue, rows: rows, output: layer.output, weightScales: weightScales, bias: bias,
                    workspace: workspace, into: next)
            case .float(let placed):
                guard runFloat(placed, current, rows: rows, into: next) else { continue }
            }
            current = UnsafePointer(next)
            swap(&next, &spare)
        }
        output.update(from: current, count: rows * layout.classes)
        starling_i8_softmax_rows(m, Int32(layout.classes), output)
    }

    /// A convolution's epilogue on the workspace's accumulators of `rows` maps shaped `output`: the
    /// fused group normalisation and activation, or dequantization with the activation.
    private func finish(
        _ epilogue: Epilogue, rows: Int, output: FeatureMapShape, weightScales: [Float], bias: [Float],
        workspace: Workspace, into target: UnsafeMutablePointer<Float>
    ) {
        let positions = output.height * output.width
        guard let normalization = epilogue.normalization else {
            Self.spread(workspace.exampleScales, rows: rows, positions: positions, into: workspace.rowScales)
            starling_i8_dequantize(
                Int32(rows * positions), Int32(output.channels), workspace.accumulators, workspace.rowScales,
                weightScales, bias, epilogue.activation, target)
            return
        }
        starling_i8_group_normalize(
            Int32(rows), Int32(positions), Int32(output.channels), normalization.groups, normalization.taps,
            normalization.epsilon,
            workspace.accumulators, workspace.exampleScales, weightScales, bias, normalization.gamma,
            normalization.beta, epilogue.activation, workspace.channelScratch, target)
    }

    /// Each example's scale repeated for its `positions` output rows.
    private static func spread(
        _ scales: UnsafePointer<Float>, rows: Int, positions: Int, into rowScales: UnsafeMutablePointer<Float>
    ) {
        for example in 0..<rows {
            (rowScales + example * positions).update(repeating: scales[example], count: positions)
        }
    }

    /// A layer without int8 weights, in float, from `input` into `output`; false for a layer that
    /// leaves its input as it is (flatten), which writes nothing.
    private func runFloat(
        _ placed: PlacedLayer, _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>
    ) -> Bool {
        switch placed.layer {
        case .maxPooling(let layer): layer.forward(input, batch: rows, into: output, maximumIndices: nil)
        case .averagePooling(let layer): layer.forward(input, batch: rows, into: output)
        case .globalAveragePooling(let layer): layer.forward(input, batch: rows, into: output)
        case .rectifier(let function): function.forward(input, count: rows * placed.input.count, into: output)
        case .flatten: return false
        case .groupNormalization(let layer):
            guard let parameters = floatParameters[placed.index] else {
                preconditionFailure("a quantized network keeps group normalisation's gamma")
            }
            parameters.gamma.withUnsafeBufferPointer { gamma in
                parameters.beta.withUnsafeBufferPointer { beta in
                    guard let gamma = gamma.baseAddress, let beta = beta.baseAddress else { return }
                    layer.forward(
                        input, batch: rows, gamma: gamma, beta: beta, into: output, normalized: nil,
                        inverseDeviations: nil)
                }
            }
        case .dense, .convolution, .depthwise:
            preconditionFailure("\(placed.layer) runs in int8")
        }
        return true
    }
}
