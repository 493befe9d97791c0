import StarlingCore

/// Folds the operators on the input-to-output path of a convolutional ONNX graph into a
/// ``LayerNetwork``: Conv (plain, or depthwise when `group` equals the input channels; 1-D on rank-3
/// inputs), BatchNormalization folded into the Conv before it, MaxPool, AveragePool,
/// GlobalAveragePool, Relu, Clip(0, 6) as ReLU6, Flatten, Reshape to [batch, features], Gemm or
/// MatMul (+Add), a final Softmax, Identity and Cast to FLOAT.
///
/// ONNX lays maps out channels-first and Starling channels-last: convolution weights are transposed
/// from [filters, channels, height, width] to [filters, height, width, channels], and the dense layer
/// after a Flatten of a map gets its input columns permuted (``ChannelsFirstOrder``), so the network
/// computes the graph's function on channels-last features.
struct ConvolutionalAssembler {
    static let supportedOperators =
        "Conv, BatchNormalization (after Conv), MaxPool, AveragePool, GlobalAveragePool, Relu, Clip(0, 6), Flatten, "
        + "Reshape, Gemm, MatMul, Add, Softmax, Identity, Cast to FLOAT"

    private var layers: [LayerDescription] = []
    /// Each layer's weights and biases in Starling's layout (empty for layers without parameters).
    private var parameters: [(weights: [Float], bias: [Float])] = []
    private let input: FeatureMapShape
    /// The shape reaching the next node, and whether it is a flat row.
    private var shape: FeatureMapShape
    private var isFlat = false
    /// The map a Flatten or Reshape flattened, whose channels-first order the next dense layer reads.
    private var flattened: FeatureMapShape?
    /// A dense layer read from Gemm or MatMul that an Add may still add a bias to.
    private var openDense: Int?
    private var softmax: ONNXNode?

    init(input: FeatureMapShape) {
        self.input = input
        self.shape = input
    }

    mutating func apply(_ node: ONNXNode, consuming tensor: String, graph: ONNXGraph) throws(ONNXImportError) {
        guard node.proto.domain.isEmpty || node.proto.domain == "ai.onnx" else { throw unsupported(node) }
        if let softmax, node.opType != "Identity" {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) follows the Softmax node \(softmax.label), which must be the last operator."
            )
        }
        guard node.proto.input.first == tensor else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) does not take '\(tensor)' as its first input.")
        }
        if node.opType != "Add" { openDense = nil }
        switch node.opType {
        case "Identity", "Cast":
            if node.opType == "Cast", try node.int("to", default: 0) != Int64(ONNXDataType.float) {
                throw ONNXImportError(
                    .unsupportedDataType, subject: "Cast",
                    "The Cast node \(node.label) converts to another type than FLOAT.")
            }
        case "Conv": try convolution(node, graph)
        case "BatchNormalization": try batchNormalization(node, graph)
        case "MaxPool", "AveragePool": try pooling(node)
        case "GlobalAveragePool":
            try append(LayerDescription(type: "global_avg_pool"), node: node)
        case "Relu":
            try append(LayerDescription(type: "relu"), node: node)
        case "Clip": try clip(node, graph)
        case "Flatten":
            let axis = try node.int("axis", default: 1)
            guard axis == 1 else { throw node.unsupported("axis", "\(axis)", "only axis=1 keeps the batch dimension") }
            try flatten(node)
        case "Reshape": try reshape(node, graph)
        case "Gemm", "MatMul": try dense(node, graph)
        case "Add": try addBias(node, tensor, graph)
        case "Softmax":
            let axis = try node.int("axis", default: -1)
            guard axis == -1 || axis == 1, isFlat else {
                throw node.unsupported("axis", "\(axis)", "only a softmax over the classes of a flat row is supported")
            }
            softmax = node
        default:
            throw unsupported(node)
        }
    }

    /// The network, once the path has reached the graph's output.
    func finish() throws(ONNXImportError) -> LayerNetwork {
        do {
            let layout = try NetworkDescription(input: [input.height, input.width, input.channels], layers: layers)
                .layout()
            return try LayerNetwork(layout: layout, parameters: parameters.flatMap { $0.weights + $0.bias })
        } catch let error as LayerShapeError {
            throw ONNXImportError(
                .unsupportedTopology, "The graph does not make a layer network: \(error.description).")
        } catch {
            throw ONNXImportError(.unsupportedTopology, "The graph does not make a layer network: \(error).")
        }
    }

    // MARK: - Operators

    /// Appends a layer, checking it against the current shape; the error names the node.
    private mutating func append(
        _ layer: LayerDescription, node: ONNXNode, weights: [Float] = [], bias: [Float] = []
    ) throws(ONNXImportError) {
        var named = layer
        named.name = node.proto.name.isEmpty ? "\(node.opType)#\(node.index)" : node.proto.name
        do {
            (shape, isFlat) = try named.output(index: layers.count, input: shape, isFlat: isFlat)
        } catch {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) does not fit: \(error.description).")
        }
        layers.append(named)
        parameters.append((weights, bias))
    }

    private mutating func convolution(_ node: ONNXNode, _ graph: ONNXGraph) throws(ONNXImportError) {
        guard !isFlat else { throw notOnMap(node) }
        try checkNoAutoPad(node)
        let inputs = node.proto.input
        guard (2...3).contains(inputs.count) else {
            throw node.unsupported("inputs", "\(inputs.count)", "Conv reads X, W and an optional B")
        }
        let w = try graph.constant(inputs[1], for: node)
        let oneDimensional = shape.height == 1 && w.dims.count == 3
        let dims = oneDimensional ? [w.dims[0], w.dims[1], 1, w.dims[2]] : w.dims
        guard dims.count == 4, dims.allSatisfy({ $0 > 0 }) else {
            throw node.unsupported("W", "\(w.dims)", "the weights must be [filters, channels, kernel…]")
        }
        let (filters, perGroup, kernelHeight, kernelWidth) = (dims[0], dims[1], dims[2], dims[3])
        let group = Int(try node.int("group", default: 1))
        let window = try windowAttributes(node, oneDimensional: oneDimensional, defaultStride: 1)
        if let kernel = window.kernel, kernel != [kernelHeight, kernelWidth] {
            throw node.unsupported(
                "kernel_shape", "\(kernel)", "its weights '\(w.name)' hold a \(kernelHeight)×\(kernelWidth) kernel")
        }
        let values = try w.floats()
        let bias =
            inputs.count == 3 && !inputs[2].isEmpty
            ? try graph.constant(inputs[2], for: node).floats() : [Float](repeating: 0, count: filters)
        guard bias.count == filters else {
            throw node.unsupported("B", "\(bias.count) values", "a Conv has one bias per filter")
        }
        let taps = kernelHeight * kernelWidth
        if group == 1 {
            guard perGroup == shape.channels else {
                throw node.unsupported(
                    "W", "\(w.dims)", "its \(perGroup) input channels differ from the \(shape.channels) it receives")
            }
            var weights = [Float](repeating: 0, count: values.count)
            for filter in 0..<filters {
                for channel in 0..<perGroup {
                    for tap in 0..<taps {
                        weights[(filter * taps + tap) * perGroup + channel] =
                            values[(filter * perGroup + channel) * taps + tap]
                    }
                }
            }
            try append(
                LayerDescription(
                    type: "conv2d", filters: filters, kernel: [kernelHeight, kernelWidth], stride: window.stride,
                    padding: window.padding, dilation: window.dilation),
                node: node, weights: weights, bias: bias)
        } else if group == shape.channels, perGroup == 1, filters % group == 0 {
            var weights = [Float](repeating: 0, count: values.count)
            for filter in 0..<filters {
                for tap in 0..<taps { weights[tap * filters + filter] = values[filter * taps + tap] }
            }
            try append(
                LayerDescription(
                    type: "depthwise_conv2d", multiplier: filters / group, kernel: [kernelHeight, kernelWidth],
                    stride: window.stride, padding: window.padding, dilation: window.dilation),
                node: node, weights: weights, bias: bias)
        } else {
            throw node.unsupported(
                "group", "\(group)",
                "only plain (group=1) and depthwise (group = \(shape.channels) channels) convolutions are supported")
        }
    }

    private mutating func batchNormalization(_ node: ONNXNode, _ graph: ONNXGraph) throws(ONNXImportError) {
        let inputs = node.proto.input
        guard inputs.count == 5, let last = layers.last, ["conv2d", "depthwise_conv2d"].contains(last.type),
            node.proto.output.count == 1
        else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The BatchNormalization node \(node.label) does not directly follow a Conv; it can only be folded into one."
            )
        }
        var values: [[Float]] = []
        for index in 1...4 { values.append(try graph.constant(inputs[index], for: node).floats()) }
        let epsilon = try node.float("epsilon", default: 1e-5)
        let normalization: BatchNormalization
        do {
            normalization = try BatchNormalization(
                layer: node.proto.name, gamma: values[0], beta: values[1], mean: values[2], variance: values[3],
                epsilon: epsilon)
        } catch {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The BatchNormalization node \(node.label): \(error.reason).")
        }
        guard normalization.channels == shape.channels else {
            throw node.unsupported(
                "scale", "\(normalization.channels) values", "the Conv before it has \(shape.channels) channels")
        }
        let (weights, bias) = parameters[parameters.count - 1]
        parameters[parameters.count - 1] =
            last.type == "conv2d"
            ? normalization.folded(convolutionWeights: weights, bias: bias)
            : normalization.folded(depthwiseWeights: weights, bias: bias)
    }

    private mutating func pooling(_ node: ONNXNode) throws(ONNXImportError) {
        guard !isFlat else { throw notOnMap(node) }
        try checkNoAutoPad(node)
        let ceil = try node.int("ceil_mode", default: 0)
        guard ceil == 0 else { throw node.unsupported("ceil_mode", "\(ceil)", "only ceil_mode=0 is supported") }
        let kernelRank = try node.ints("kernel_shape", default: []).count
        let window = try windowAttributes(node, oneDimensional: shape.height == 1 && kernelRank == 1, defaultStride: 1)
        guard let kernel = window.kernel else {
            throw node.unsupported("kernel_shape", "none", "a pooling node needs one")
        }
        let isMax = node.opType == "MaxPool"
        let countPadding = try node.int("count_include_pad", default: 0) != 0
        try append(
            LayerDescription(
                type: isMax ? "max_pool" : "avg_pool", kernel: kernel, stride: window.stride, padding: window.padding,
                dilation: window.dilation, countPadding: isMax ? nil : countPadding),
            node: node)
    }

    private mutating func clip(_ node: ONNXNode, _ graph: ONNXGraph) throws(ONNXImportError) {
        let inputs = node.proto.input
        func bound(_ index: Int, attribute: String, default value: Float) throws(ONNXImportError) -> Float {
            if inputs.count > index, !inputs[index].isEmpty {
                let values = try graph.constant(inputs[index], for: node).floats()
                guard values.count == 1 else {
                    throw node.unsupported(attribute, "\(values)", "a Clip bound is one number")
                }
                return values[0]
            }
            return try node.float(attribute, default: value)
        }
        let low = try bound(1, attribute: "min", default: -.infinity)
        let high = try bound(2, attribute: "max", default: .infinity)
        guard low == 0, high == 6 || high == .infinity else {
            throw node.unsupported(
                "min, max", "\(low), \(high)", "only Clip(0, 6) (ReLU6) and Clip(0) (ReLU) are supported")
        }
        try append(LayerDescription(type: high == 6 ? "relu6" : "relu"), node: node)
    }

    private mutating func reshape(_ node: ONNXNode, _ graph: ONNXGraph) throws(ONNXImportError) {
        guard node.proto.input.count == 2 else {
            throw node.unsupported("inputs", "\(node.proto.input.count)", "Reshape reads data and shape")
        }
        let target = try graph.constant(node.proto.input[1], for: node).int64s()
        let features = Int64(shape.count)
        let keepsBatch = target.count == 2 && (target[0] == 0 || target[0] == -1)
        guard keepsBatch, target[1] == -1 || target[1] == features else {
            throw node.unsupported("shape", "\(target)", "only a Reshape to [batch, \(features)] is supported")
        }
        try flatten(node)
    }

    /// A map read as flat rows from here on; the dense layer after it reads the map's channels-first order.
    private mutating func flatten(_ node: ONNXNode) throws(ONNXImportError) {
        guard !isFlat else { return }
        let map = shape
        try append(LayerDescription(type: "flatten"), node: node)
        flattened = map
    }

    private mutating func dense(_ node: ONNXNode, _ graph: ONNXGraph) throws(ONNXImportError) {
        let inputs = node.proto.input
        guard isFlat || (shape.height == 1 && shape.width == 1) else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) receives a map of rank above 2; add a Flatten before it.")
        }
        let isGemm = node.opType == "Gemm"
        guard inputs.count == 2 || (isGemm && inputs.count == 3) else {
            throw node.unsupported(
                "inputs", "\(inputs.count)", "\(node.opType) reads the data, the weights and for Gemm an optional bias")
        }
        if isGemm {
            let transA = try node.int("transA", default: 0)
            guard transA == 0 else { throw node.unsupported("transA", "\(transA)", "only transA=0 is supported") }
        }
        let transB = isGemm ? try node.int("transB", default: 0) : 0
        let b = try graph.constant(inputs[1], for: node)
        guard b.dims.count == 2, b.dims.allSatisfy({ $0 > 0 }) else {
            throw node.unsupported("B", "\(b.dims)", "the weights must be a matrix")
        }
        var layer = DenseLayerWeights(
            matrix: try b.floats(), rows: b.dims[0], columns: b.dims[1], transposed: transB == 1,
            alpha: isGemm ? try node.float("alpha", default: 1) : 1)
        if isGemm, inputs.count == 3, !inputs[2].isEmpty {
            let c = try graph.constant(inputs[2], for: node)
            guard layer.addBias(try c.floats(), dims: c.dims, scale: try node.float("beta", default: 1)) else {
                throw node.unsupported("C", "\(c.dims)", "the bias must have one value per output")
            }
        }
        guard layer.inputs == shape.count else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) expects \(layer.inputs) features but receives \(shape.count).")
        }
        if let map = flattened {
            let permutation = ChannelsFirstOrder.permutation(for: map)
            var permuted = layer.weight
            for output in 0..<layer.outputs {
                for column in 0..<layer.inputs {
                    permuted[output * layer.inputs + column] = layer.weight[output * layer.inputs + permutation[column]]
                }
            }
            layer.weight = permuted
            flattened = nil
        }
        try append(
            LayerDescription(type: "dense", units: layer.outputs), node: node, weights: layer.weight, bias: layer.bias)
        openDense = layers.count - 1
    }

    private mutating func addBias(_ node: ONNXNode, _ tensor: String, _ graph: ONNXGraph) throws(ONNXImportError) {
        guard let index = openDense, node.proto.input.count == 2 else {
            throw ONNXImportError(
                .unsupportedTopology, subject: "Add",
                "The Add node \(node.label) does not add a bias to a Gemm or MatMul.")
        }
        let c = try graph.constant(node.proto.input[1], for: node)
        let values = try c.floats()
        var bias = parameters[index].bias
        guard values.count == bias.count || values.count == 1 else {
            throw node.unsupported("B", "\(c.dims)", "the bias must have one value per output")
        }
        for unit in bias.indices { bias[unit] += values.count == 1 ? values[0] : values[unit] }
        parameters[index].bias = bias
    }

    // MARK: - Attributes and errors

    /// kernel_shape, strides, pads and dilations in a layer description's form; a 1-D node's single
    /// values become the width of a map of height 1.
    private func windowAttributes(_ node: ONNXNode, oneDimensional: Bool, defaultStride: Int64) throws(ONNXImportError)
        -> (
            kernel: [Int]?, stride: [Int], padding: [Int], dilation: [Int]
        )
    {
        let rank = oneDimensional ? 1 : 2
        let kernel = try node.ints("kernel_shape", default: [])
        let strides = try node.ints("strides", default: Array(repeating: defaultStride, count: rank))
        let dilations = try node.ints("dilations", default: Array(repeating: 1, count: rank))
        let pads = try node.ints("pads", default: Array(repeating: 0, count: 2 * rank))
        let bound = Int64(FeatureMapShape.maximumSide)
        for (name, values) in [
            ("kernel_shape", kernel), ("strides", strides), ("dilations", dilations), ("pads", pads),
        ] {
            guard values.isEmpty || values.count == (name == "pads" ? 2 * rank : rank),
                values.allSatisfy({ (-bound...bound).contains($0) })
            else {
                throw node.unsupported(
                    name, "\(values)", "it must hold \(name == "pads" ? 2 * rank : rank) numbers for this input")
            }
        }
        let ints = { (values: [Int64]) in values.map { Int($0) } }
        if oneDimensional {
            return (
                kernel.isEmpty ? nil : [1, Int(kernel[0])], [1, Int(strides[0])], [0, Int(pads[0]), 0, Int(pads[1])],
                [1, Int(dilations[0])]
            )
        }
        return (
            kernel.isEmpty ? nil : ints(kernel), ints(strides),
            [Int(pads[0]), Int(pads[1]), Int(pads[2]), Int(pads[3])], ints(dilations)
        )
    }

    private func checkNoAutoPad(_ node: ONNXNode) throws(ONNXImportError) {
        let autoPad = try node.string("auto_pad", default: "NOTSET")
        guard autoPad == "NOTSET" else {
            throw node.unsupported("auto_pad", autoPad, "only explicit pads (NOTSET) are supported")
        }
    }

    private func notOnMap(_ node: ONNXNode) -> ONNXImportError {
        ONNXImportError(
            .unsupportedTopology, subject: node.opType,
            "The \(node.opType) node \(node.label) receives a flat row, not a feature map.")
    }

    private func unsupported(_ node: ONNXNode) -> ONNXImportError {
        ONNXImportError(
            .unsupportedOperator, subject: node.qualifiedOpType,
            "The operator \(node.qualifiedOpType) (node \(node.label)) is not supported in a convolutional graph; supported: \(Self.supportedOperators)."
        )
    }
}
