import StarlingCore

/// Folds the operators met on the input-to-output path into dense layers, one hidden activation and
/// an optional final softmax; rejects anything an `MLP` cannot compute.
///
/// The path must read: [Flatten | Reshape | Identity | Cast(to FLOAT)]*, then per layer
/// (Gemm | MatMul) Add* followed by Relu | Sigmoid | Tanh for hidden layers, and for the output layer
/// nothing or Softmax (axis −1 or 1), after which only Identity may follow.
struct MLPAssembler {
    /// The operators the importer understands (for error messages).
    static let supportedOperators =
        "Gemm, MatMul, Add, Relu, Sigmoid, Tanh, Softmax, Flatten, Identity, Reshape, Cast to FLOAT"

    private var layers: [DenseLayerWeights] = []
    /// The affine layer read last, not yet closed by an activation or softmax.
    private var open: DenseLayerWeights?
    /// The first hidden activation and the node applying it.
    private var activation: (kind: HiddenActivation, node: ONNXNode)?
    private var softmax: ONNXNode?
    /// Features per row of the current tensor, when known.
    private var width: Int?
    /// Whether the current tensor is [batch, features] (inputs of rank > 2 need a Flatten first).
    private var isFlat: Bool

    init(inputWidth: Int?, inputIsFlat: Bool) {
        width = inputWidth
        isFlat = inputIsFlat
    }

    /// Applies `node`, which consumes the path tensor `tensor`.
    mutating func apply(_ node: ONNXNode, consuming tensor: String, graph: ONNXGraph) throws(ONNXImportError) {
        guard node.proto.domain.isEmpty || node.proto.domain == "ai.onnx" else { throw unsupported(node) }
        if let softmax, node.opType != "Identity" {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) follows the Softmax node \(softmax.label), which must be the last operator."
            )
        }
        switch node.opType {
        case "Identity":
            try expectSingleInput(node, tensor)
        case "Cast":
            try expectSingleInput(node, tensor)
            let to = try node.int("to", default: 0)
            guard to == Int64(ONNXDataType.float) else {
                let name = ONNXDataType.name(Int32(truncatingIfNeeded: to))
                throw ONNXImportError(
                    .unsupportedDataType, subject: name,
                    "The Cast node \(node.label) converts to \(name), but only FLOAT tensors are supported.")
            }
        case "Flatten":
            try expectSingleInput(node, tensor)
            let axis = try node.int("axis", default: 1)
            guard axis == 1 else { throw node.unsupported("axis", "\(axis)", "only axis=1 keeps the batch dimension") }
            isFlat = true
        case "Reshape":
            try reshape(node, tensor, graph)
        case "Gemm":
            try gemm(node, tensor, graph)
        case "MatMul":
            try expectPathFirst(node, tensor, inputs: 2)
            let b = try graph.constant(node.proto.input[1], for: node)
            let (rows, columns) = try matrixShape(b, node)
            try begin(DenseLayerWeights(matrix: b.floats(), rows: rows, columns: columns, transposed: false), node)
        case "Add":
            try add(node, tensor, graph)
        case "Relu", "Sigmoid", "Tanh":
            try expectSingleInput(node, tensor)
            try closeHiddenLayer(node)
        case "Softmax":
            try expectSingleInput(node, tensor)
            let axis = try node.int("axis", default: -1)
            guard axis == -1 || axis == 1 else {
                throw node.unsupported("axis", "\(axis)", "only the class axis (−1 or 1) is supported")
            }
            guard let layer = open else { throw notAfterLayer(node) }
            layers.append(layer)
            open = nil
            softmax = node
        default:
            throw unsupported(node)
        }
    }

    /// The network: layer widths, hidden activation and flat parameters W0, b0, W1, b1, ….
    mutating func finish() throws(ONNXImportError) -> (
        layerSizes: [Int], activation: HiddenActivation, parameters: [Float]
    ) {
        if let layer = open {
            layers.append(layer)
            open = nil
        } else if softmax == nil {
            guard let last = activation?.node else {
                throw ONNXImportError(
                    .unsupportedTopology, "The path from the input to the output has no Gemm or MatMul layer.")
            }
            throw ONNXImportError(
                .unsupportedTopology, subject: last.opType,
                "The graph ends with an activation after its last layer, but the output layer must be Gemm or MatMul (+Add), optionally followed by Softmax."
            )
        }
        guard let first = layers.first else {
            throw ONNXImportError(
                .unsupportedTopology, "The path from the input to the output has no Gemm or MatMul layer.")
        }
        let sizes = [first.inputs] + layers.map(\.outputs)
        let parameters = layers.flatMap { $0.weight + $0.bias }
        return (sizes, activation?.kind ?? .relu, parameters)
    }

    // MARK: - Operators

    private mutating func gemm(_ node: ONNXNode, _ tensor: String, _ graph: ONNXGraph) throws(ONNXImportError) {
        let inputs = node.proto.input
        guard (2...3).contains(inputs.count), inputs[0] == tensor else { throw pathNotFirst(node, tensor) }
        let transA = try node.int("transA", default: 0)
        guard transA == 0 else { throw node.unsupported("transA", "\(transA)", "only transA=0 is supported") }
        let transB = try node.int("transB", default: 0)
        guard transB == 0 || transB == 1 else { throw node.unsupported("transB", "\(transB)", "it must be 0 or 1") }
        let alpha = try node.float("alpha", default: 1)
        let beta = try node.float("beta", default: 1)
        let b = try graph.constant(inputs[1], for: node)
        let (rows, columns) = try matrixShape(b, node)
        var layer = DenseLayerWeights(
            matrix: try b.floats(), rows: rows, columns: columns, transposed: transB == 1, alpha: alpha)
        if inputs.count == 3, !inputs[2].isEmpty {
            let c = try graph.constant(inputs[2], for: node)
            guard layer.addBias(try c.floats(), dims: c.dims, scale: beta) else { throw badBias(node, c, layer) }
        }
        try begin(layer, node)
    }

    private mutating func add(_ node: ONNXNode, _ tensor: String, _ graph: ONNXGraph) throws(ONNXImportError) {
        let inputs = node.proto.input
        guard inputs.count == 2, inputs.contains(tensor), inputs[0] != inputs[1] else {
            throw ONNXImportError(
                .unsupportedTopology, subject: "Add",
                "The Add node \(node.label) must add a constant bias to '\(tensor)'.")
        }
        guard var layer = open else { throw notAfterLayer(node) }
        let c = try graph.constant(inputs[0] == tensor ? inputs[1] : inputs[0], for: node)
        guard layer.addBias(try c.floats(), dims: c.dims) else { throw badBias(node, c, layer) }
        open = layer
    }

    private mutating func reshape(_ node: ONNXNode, _ tensor: String, _ graph: ONNXGraph) throws(ONNXImportError) {
        try expectPathFirst(node, tensor, inputs: 2)
        let shape = try graph.constant(node.proto.input[1], for: node).int64s()
        let allowZero = try node.int("allowzero", default: 0)
        guard shape.count == 2 else {
            throw node.unsupported("shape", "\(shape)", "only a trivial Reshape to [batch, features] is supported")
        }
        let (batch, features) = (shape[0], shape[1])
        // [−1, F] or [0, F] with F the current width, or [0, −1] (flatten everything after the batch).
        let batchKept = batch == -1 || (batch == 0 && allowZero == 0)
        let featuresKept = features == -1 ? batch == 0 : width.map { Int64($0) == features } ?? (features > 0)
        guard batchKept, featuresKept else {
            throw node.unsupported("shape", "\(shape)", "only a trivial Reshape to [batch, features] is supported")
        }
        if width == nil, features > 0 { width = Int(features) }
        isFlat = true
    }

    private mutating func begin(_ layer: DenseLayerWeights, _ node: ONNXNode) throws(ONNXImportError) {
        guard isFlat else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) receives a tensor of rank above 2; add a Flatten before it.")
        }
        guard open == nil else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) follows another layer with no activation between them.")
        }
        if let width, width != layer.inputs {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) expects \(layer.inputs) features but receives \(width).")
        }
        open = layer
        width = layer.outputs
    }

    private mutating func closeHiddenLayer(_ node: ONNXNode) throws(ONNXImportError) {
        guard let layer = open else { throw notAfterLayer(node) }
        let kind: HiddenActivation =
            switch node.opType {
            case "Sigmoid": .sigmoid
            case "Tanh": .tanh
            default: .relu
            }
        if let first = activation, first.kind != kind {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) differs from the \(first.node.opType) node \(first.node.label), but all hidden layers must share one activation."
            )
        }
        if activation == nil { activation = (kind, node) }
        layers.append(layer)
        open = nil
    }

    // MARK: - Checks and errors

    private func matrixShape(_ b: ONNXConstant, _ node: ONNXNode) throws(ONNXImportError) -> (Int, Int) {
        let dims = b.dims
        guard dims.count == 2, dims[0] > 0, dims[1] > 0 else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) has weights '\(b.name)' of shape \(dims), expected a matrix.")
        }
        return (dims[0], dims[1])
    }

    private func expectSingleInput(_ node: ONNXNode, _ tensor: String) throws(ONNXImportError) {
        try expectPathFirst(node, tensor, inputs: 1)
    }

    private func expectPathFirst(_ node: ONNXNode, _ tensor: String, inputs: Int) throws(ONNXImportError) {
        guard node.proto.input.count == inputs, node.proto.input[0] == tensor else { throw pathNotFirst(node, tensor) }
    }

    private func pathNotFirst(_ node: ONNXNode, _ tensor: String) -> ONNXImportError {
        ONNXImportError(
            .unsupportedTopology, subject: node.opType,
            "The \(node.opType) node \(node.label) does not take '\(tensor)' as its data input in the form an MLP layer needs."
        )
    }

    private func notAfterLayer(_ node: ONNXNode) -> ONNXImportError {
        ONNXImportError(
            .unsupportedTopology, subject: node.opType,
            "The \(node.opType) node \(node.label) does not directly follow a Gemm or MatMul (+Add) layer.")
    }

    private func badBias(_ node: ONNXNode, _ c: ONNXConstant, _ layer: DenseLayerWeights) -> ONNXImportError {
        ONNXImportError(
            .unsupportedTopology, subject: node.opType,
            "The \(node.opType) node \(node.label) adds '\(c.name)' of shape \(c.dims), which is not a bias of \(layer.outputs) values."
        )
    }

    private func unsupported(_ node: ONNXNode) -> ONNXImportError {
        ONNXImportError(
            .unsupportedOperator, subject: node.qualifiedOpType,
            "The operator \(node.qualifiedOpType) (node \(node.label)) is not supported; supported: \(Self.supportedOperators)."
        )
    }
}
