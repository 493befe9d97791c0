import StarlingCore
import SwiftProtobuf

/// Imports models trained elsewhere (PyTorch `torch.onnx.export`, skl2onnx, …) as Starling fp32 bundles.
///
/// Exists so that `starling model import --onnx FILE --name N` can bring an MLP-shaped ONNX graph into
/// the registry, after which it trains, quantises and ships like any Starling model.
///
/// Contract:
/// - The graph has one data input (FLOAT) and is walked from it, one consumer at a time, until a graph
///   output is reached; nodes off that path (e.g. skl2onnx's ArgMax → label branch) are ignored, so the
///   label output of a classifier is dropped and its probabilities output is imported.
/// - On the path: Gemm (transA=0, transB 0 or 1, any alpha and beta), MatMul with an optional Add bias,
///   Relu / Sigmoid / Tanh (one kind for all hidden layers), Softmax (last, axis −1 or 1), Flatten
///   (axis 1), Identity, a trivial Reshape to [batch, features], and Cast to FLOAT (a no-op on float input).
///   Weights come from initializers or Constant nodes in FLOAT (`float_data` or little-endian `raw_data`).
///   Anything else throws an `ONNXImportError` naming the operator, data type or node.
/// - The bundle always outputs softmax probabilities: a graph ending in logits (no Softmax, as
///   `torch.onnx.export` of an `nn.Sequential` of Linear layers usually does) imports the same weights, and
///   `ModelBundle.predict` returns softmax of those logits.
/// - The manifest gets version 1, identity preprocessing (the graph is assumed to take the features
///   it was trained on) and `labels`, or "0"…"k−1" when nil.
public enum ONNXImporter {
    /// Converts an ONNX graph into a fp32 ModelBundle with identity preprocessing: an MLP-shaped
    /// graph (Gemm, MatMul, Add, Relu, Sigmoid, Tanh, Softmax, Flatten, Identity, trivial Reshape)
    /// into a dense model, a graph with convolution, pooling or batch-normalisation operators into a
    /// layer network (see ``layerNetwork(fromONNX:)``), which takes its input channels-last.
    public static func bundle(
        fromONNX bytes: [UInt8], name: String, labels: [String]?, confidenceThreshold: Double
    ) throws(ONNXImportError) -> ModelBundle {
        let graph = try graph(of: bytes)
        let model: Model
        let summary: String
        if graph.nodes.contains(where: { convolutionalOperators.contains($0.opType) }) {
            let network = try layerNetwork(graph)
            model = .network(network)
            summary = "with \(network.layout.layers.count) layers"
        } else {
            let network = try assemble(graph)
            summary = network.layerSizes.map(String.init).joined(separator: "-")
            do {
                let architecture = try ModelArchitecture(
                    layerSizes: network.layerSizes, hiddenActivation: network.activation)
                model = .dense(try MLP(architecture: architecture, parameters: network.parameters))
            } catch {
                throw refusal(summary, error)
            }
        }
        do {
            let architecture = model.architecture
            let manifest = try ModelManifest(
                name: name, version: 1, architecture: architecture,
                labels: labels ?? (0..<architecture.outputSize).map(String.init),
                preprocessing: .identity(featureCount: architecture.inputSize),
                confidenceThreshold: confidenceThreshold)
            return try ModelBundle(manifest: manifest, model: model)
        } catch {
            throw refusal(summary, error)
        }
    }

    /// Operators only a layer network has.
    private static let convolutionalOperators: Set<String> = [
        "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Clip",
    ]

    private static func refusal(_ summary: String, _ error: ModelError) -> ONNXImportError {
        let reason = error.description.prefix(1).lowercased() + error.description.dropFirst()
        return ONNXImportError(
            .invalidArguments, "The imported network \(summary) cannot become a model bundle: \(reason)")
    }

    /// Converts a convolutional ONNX graph (Conv, BatchNormalization, MaxPool, AveragePool,
    /// GlobalAveragePool, Relu, Clip, Flatten, Reshape, Gemm, MatMul, Add, Softmax) on a [batch, channels,
    /// height, width] or [batch, channels, length] input of fixed sizes into a ``LayerNetwork`` that
    /// takes the same values channels-last (height, width, channels) and computes the same
    /// probabilities; anything else is refused naming the node, attribute or input.
    public static func layerNetwork(fromONNX bytes: [UInt8]) throws(ONNXImportError) -> LayerNetwork {
        try layerNetwork(graph(of: bytes))
    }

    private static func layerNetwork(_ graph: ONNXGraph) throws(ONNXImportError) -> LayerNetwork {
        var assembler = ConvolutionalAssembler(input: try inputMap(graph.input))
        try walk(graph) { (node, tensor) throws(ONNXImportError) in
            try assembler.apply(node, consuming: tensor, graph: graph)
        }
        return try assembler.finish()
    }

    /// The input map of a convolutional graph: [batch, channels, height, width] or [batch, channels,
    /// length], every size but the batch fixed.
    private static func inputMap(_ input: Onnx_ValueInfoProto) throws(ONNXImportError) -> FeatureMapShape {
        guard case .tensorType(let tensor)? = input.type.value, tensor.elemType == ONNXDataType.float, tensor.hasShape
        else {
            throw ONNXImportError(
                .unsupportedTopology, "The graph input '\(input.name)' is not a FLOAT tensor of known shape.")
        }
        let dims = tensor.shape.dim.dropFirst().map { dim -> Int? in
            if case .dimValue(let size)? = dim.value, size > 0, size <= Int64(FeatureMapShape.maximumSide) {
                return Int(size)
            }
            return nil
        }
        guard dims.count == 2 || dims.count == 3, let sizes = dims as? [Int] else {
            throw ONNXImportError(
                .unsupportedTopology, subject: input.name,
                "The graph input '\(input.name)' must be [batch, channels, height, width] or [batch, channels, length] with "
                    + "fixed sizes after the batch; dynamic sizes are not supported.")
        }
        return sizes.count == 3
            ? FeatureMapShape(height: sizes[1], width: sizes[2], channels: sizes[0])
            : FeatureMapShape(height: 1, width: sizes[1], channels: sizes[0])
    }

    /// The graph of a serialized ONNX model.
    private static func graph(of bytes: [UInt8]) throws(ONNXImportError) -> ONNXGraph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw ONNXImportError(
                .malformedModel, "The file is not an ONNX model (protobuf decoding failed: \(error)).")
        }
        guard model.hasGraph else { throw ONNXImportError(.malformedModel, "The ONNX model has no graph.") }
        return try ONNXGraph(model.graph)
    }

    /// Walks the single path from the data input to the first graph output it reaches.
    private static func assemble(
        _ graph: ONNXGraph
    ) throws(ONNXImportError) -> (layerSizes: [Int], activation: HiddenActivation, parameters: [Float]) {
        let (inputWidth, inputIsFlat) = try inputFeatures(graph.input)
        var assembler = MLPAssembler(inputWidth: inputWidth, inputIsFlat: inputIsFlat)
        try walk(graph) { (node, tensor) throws(ONNXImportError) in
            try assembler.apply(node, consuming: tensor, graph: graph)
        }
        return try assembler.finish()
    }

    /// Calls `apply(node, tensor)` for each node on the single path from the data input to the first
    /// graph output it reaches, `tensor` being the path tensor the node consumes.
    private static func walk(
        _ graph: ONNXGraph, _ apply: (ONNXNode, String) throws(ONNXImportError) -> Void
    ) throws(ONNXImportError) {
        var tensor = graph.input.name
        var steps = 0
        while !graph.outputNames.contains(tensor) {
            let consumers = graph.consumers[tensor] ?? []
            guard steps < graph.nodes.count else {
                throw ONNXImportError(
                    .malformedModel, "The graph has a cycle through '\(tensor)', so no output can be reached.")
            }
            guard consumers.count == 1 else {
                let readers = consumers.map { graph.nodes[$0].label }.joined(separator: ", ")
                throw ONNXImportError(
                    .unsupportedTopology,
                    consumers.isEmpty
                        ? "The tensor '\(tensor)' is neither read by a node nor a graph output, so no output can be reached."
                        : "The tensor '\(tensor)' is read by \(consumers.count) nodes (\(readers)), but an MLP passes each activation to one node."
                )
            }
            let node = graph.nodes[consumers[0]]
            try apply(node, tensor)
            guard node.proto.output.count == 1 else {
                throw ONNXImportError(
                    .unsupportedTopology, subject: node.opType,
                    "The \(node.opType) node \(node.label) has \(node.proto.output.count) outputs, expected one.")
            }
            tensor = node.proto.output[0]
            steps += 1
        }
    }

    /// Features per row (when the shape says) and whether the input is already [batch, features].
    private static func inputFeatures(_ input: Onnx_ValueInfoProto) throws(ONNXImportError) -> (Int?, Bool) {
        guard case .tensorType(let tensor)? = input.type.value else {
            throw ONNXImportError(.unsupportedTopology, "The graph input '\(input.name)' is not a tensor.")
        }
        guard tensor.elemType == ONNXDataType.float else {
            let name = ONNXDataType.name(tensor.elemType)
            throw ONNXImportError(
                .unsupportedDataType, subject: name,
                "The graph input '\(input.name)' has data type \(name), but only FLOAT is supported.")
        }
        guard tensor.hasShape else { return (nil, true) }
        let dims = tensor.shape.dim
        guard dims.count >= 2 else {
            throw ONNXImportError(
                .unsupportedTopology,
                "The graph input '\(input.name)' has rank \(dims.count), expected [batch, features].")
        }
        var width: Int? = 1
        for dim in dims.dropFirst() {
            if case .dimValue(let size)? = dim.value, size > 0, let product = width {
                let (next, overflow) = product.multipliedReportingOverflow(by: Int(size))
                width = overflow ? nil : next
            } else {
                width = nil
            }
        }
        return (width, dims.count == 2)
    }
}
