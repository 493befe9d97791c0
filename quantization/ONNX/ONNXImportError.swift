/// Why an ONNX model could not be imported as a Starling MLP.
///
/// Exists so that `starling model import --onnx` can tell the operator, in one sentence, which operator,
/// data type, attribute or node stands in the way. `kind` is for programs; `subject` is the offending
/// operator type, data type or tensor name when there is one; `description` is the sentence to show.
public struct ONNXImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: String, Sendable, Equatable {
        /// The bytes are not an ONNX `ModelProto`, or the model has no graph.
        case malformedModel
        /// A node on the input-to-output path uses an operator outside the supported set.
        case unsupportedOperator
        /// A tensor, input or `Cast` uses a data type other than 32-bit float (int64 for Reshape shapes).
        case unsupportedDataType
        /// A supported operator has an attribute value the importer cannot represent (e.g. Gemm transA=1).
        case unsupportedAttribute
        /// The graph is not a chain of dense layers with one hidden activation and an optional softmax.
        case unsupportedTopology
        /// Names, labels or threshold given to the importer do not fit the imported network.
        case invalidArguments
    }

    /// The class of problem.
    public let kind: Kind
    /// The operator type, data type name (e.g. "DOUBLE") or tensor concerned, if any.
    public let subject: String?
    /// One sentence naming the problem (and the node, when there is one).
    public let description: String

    init(_ kind: Kind, subject: String? = nil, _ description: String) {
        self.kind = kind
        self.subject = subject
        self.description = description
    }
}
