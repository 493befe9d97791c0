/// One node of the graph with the lookups the importer needs: a printable name and typed attributes.
struct ONNXNode {
    let proto: Onnx_NodeProto
    /// Position in `GraphProto.node`, used when the node has no name.
    let index: Int

    var opType: String { proto.opType }

    /// `'name'` or, for an unnamed node, `#index`, for error messages.
    var label: String { proto.name.isEmpty ? "#\(index)" : "'\(proto.name)'" }

    /// `opType` qualified by its domain when that is not the default ONNX domain.
    var qualifiedOpType: String {
        proto.domain.isEmpty || proto.domain == "ai.onnx" ? proto.opType : "\(proto.domain).\(proto.opType)"
    }

    /// The integer attribute `name`, or `defaultValue` when absent.
    func int(_ name: String, default defaultValue: Int64) throws(ONNXImportError) -> Int64 {
        guard let attribute = attribute(name) else { return defaultValue }
        guard attribute.type == .int || attribute.type == .undefined else { throw wrongKind(name, "an integer") }
        return attribute.i
    }

    /// The float attribute `name`, or `defaultValue` when absent.
    func float(_ name: String, default defaultValue: Float) throws(ONNXImportError) -> Float {
        guard let attribute = attribute(name) else { return defaultValue }
        guard attribute.type == .float || attribute.type == .undefined else { throw wrongKind(name, "a float") }
        return attribute.f
    }

    /// The integer-list attribute `name`, or `defaultValue` when absent.
    func ints(_ name: String, default defaultValue: [Int64]) throws(ONNXImportError) -> [Int64] {
        guard let attribute = attribute(name) else { return defaultValue }
        guard attribute.type == .ints || attribute.type == .undefined else {
            throw wrongKind(name, "a list of integers")
        }
        return attribute.ints
    }

    /// The string attribute `name`, or `defaultValue` when absent.
    func string(_ name: String, default defaultValue: String) throws(ONNXImportError) -> String {
        guard let attribute = attribute(name) else { return defaultValue }
        guard attribute.type == .string || attribute.type == .undefined else { throw wrongKind(name, "a string") }
        return String(decoding: attribute.s, as: UTF8.self)
    }

    /// The tensor attribute `name`, if present.
    func tensor(_ name: String) -> Onnx_TensorProto? {
        attribute(name).flatMap { $0.type == .tensor || $0.hasT ? $0.t : nil }
    }

    /// An error saying that this node's attribute has a value the importer cannot represent.
    func unsupported(_ attribute: String, _ value: String, _ reason: String) -> ONNXImportError {
        ONNXImportError(
            .unsupportedAttribute, subject: opType,
            "The \(opType) node \(label) has \(attribute)=\(value), but \(reason).")
    }

    private func attribute(_ name: String) -> Onnx_AttributeProto? {
        proto.attribute.first { $0.name == name }
    }

    private func wrongKind(_ name: String, _ expected: String) -> ONNXImportError {
        ONNXImportError(
            .malformedModel, subject: opType,
            "The attribute '\(name)' of the \(opType) node \(label) is not \(expected).")
    }
}
