/// The parts of an ONNX `GraphProto` the importer walks: constants by name, the nodes consuming each
/// tensor, the single data input and the graph outputs.
///
/// Constants are initializers and the values of `Constant` nodes (exporters emit both). Inputs that are
/// also initializers (IR < 4 lists them) are not data inputs.
struct ONNXGraph {
    let nodes: [ONNXNode]
    let constants: [String: ONNXConstant]
    /// Node indices consuming each tensor, in graph order.
    let consumers: [String: [Int]]
    let input: Onnx_ValueInfoProto
    let outputNames: Set<String>

    init(_ graph: Onnx_GraphProto) throws(ONNXImportError) {
        var constants: [String: ONNXConstant] = [:]
        for tensor in graph.initializer {
            constants[tensor.name] = ONNXConstant(name: tensor.name, proto: tensor)
        }
        var nodes: [ONNXNode] = []
        var consumers: [String: [Int]] = [:]
        for (index, proto) in graph.node.enumerated() {
            let node = ONNXNode(proto: proto, index: index)
            // Constant nodes in other forms (value_float, value_ints, …) never feed a layer's weights;
            // if one is read where a tensor is needed, `constant(_:for:)` reports it.
            if node.opType == "Constant", proto.domain.isEmpty, proto.output.count == 1,
                let value = node.tensor("value")
            {
                constants[proto.output[0]] = ONNXConstant(name: proto.output[0], proto: value)
            }
            for name in proto.input where !name.isEmpty && consumers[name]?.last != index {
                consumers[name, default: []].append(index)
            }
            nodes.append(node)
        }
        let dataInputs = graph.input.filter { constants[$0.name] == nil }
        guard dataInputs.count == 1, let input = dataInputs.first else {
            let names = dataInputs.map { "'\($0.name)'" }.joined(separator: ", ")
            throw ONNXImportError(
                .unsupportedTopology,
                "The graph has \(dataInputs.count) non-constant inputs (\(names)), but an MLP has exactly one.")
        }
        self.nodes = nodes
        self.constants = constants
        self.consumers = consumers
        self.input = input
        self.outputNames = Set(graph.output.map(\.name))
    }

    /// The constant named `name`, or an error saying that `node` needs a constant there.
    func constant(_ name: String, for node: ONNXNode) throws(ONNXImportError) -> ONNXConstant {
        guard let constant = constants[name] else {
            throw ONNXImportError(
                .unsupportedTopology, subject: node.opType,
                "The \(node.opType) node \(node.label) reads '\(name)', which is not an initializer or a Constant tensor."
            )
        }
        return constant
    }
}
