/// A multilayer perceptron with ReLU, sigmoid or tanh hidden layers (`hiddenActivation`) and a
/// softmax output; softmax (multinomial logistic) regression when there is no hidden layer.
///
/// Exists as a plain value (architecture + one flat parameter vector) so that federated averaging,
/// quantisation and serialisation can treat a model as a vector of floats, while the layer view
/// (`namedTensors`) gives the stable on-disk names `layers.{l}.weight` [out, in] and `layers.{l}.bias` [out].
public struct MLP: Sendable, Equatable {
    /// Layer widths (always the dense form); fixes the parameter layout.
    public let architecture: ModelArchitecture
    /// Flat parameters in the order W0, b0, W1, b1, …, each weight row-major [out, in].
    public var parameters: [Float]

    /// Random initialisation from `seed`: He (W ~ N(0, 2/in)) for ReLU layers, Glorot/Xavier
    /// (W ~ N(0, 2/(in + out))) for sigmoid and tanh layers and the softmax output layer, zero biases.
    /// The architecture must be dense (a layer list is a ``LayerNetwork``; ``Model`` picks the kind).
    public init(architecture: ModelArchitecture, seed: UInt64) {
        precondition(architecture.dense != nil, "an MLP needs a dense architecture, got a layer list")
        var rng = SeededRNG(seed: seed)
        var parameters = [Float](repeating: 0, count: architecture.parameterCount)
        for layer in architecture.layers {
            let isHe = !layer.isOutput && architecture.dense?.hiddenActivation == .relu
            let variance = isHe ? 2 / Double(layer.inputs) : 2 / Double(layer.inputs + layer.outputs)
            let sd = variance.squareRoot()
            for index in layer.weightRange {
                parameters[index] = Float(rng.nextGaussian() * sd)
            }
        }
        self.architecture = architecture
        self.parameters = parameters
    }

    /// Wraps an existing flat parameter vector; its length must equal `architecture.parameterCount`.
    public init(architecture: ModelArchitecture, parameters: [Float]) throws(ModelError) {
        guard architecture.dense != nil else {
            throw .invalidArchitecture("a dense network was expected, got the layer list \(architecture)")
        }
        guard parameters.count == architecture.parameterCount else {
            throw .parameterCountMismatch(expected: architecture.parameterCount, actual: parameters.count)
        }
        self.architecture = architecture
        self.parameters = parameters
    }

    /// Per-layer tensors in layer order: `layers.{l}.weight` [out, in], then `layers.{l}.bias` [out].
    public var namedTensors: [(name: String, tensor: Tensor)] {
        architecture.layers.flatMap { layer -> [(name: String, tensor: Tensor)] in
            [
                (layer.weightName, Tensor(shape: layer.weightShape, values: Array(parameters[layer.weightRange]))),
                (layer.biasName, Tensor(shape: layer.biasShape, values: Array(parameters[layer.biasRange]))),
            ]
        }
    }

    /// Rebuilds a model from named tensors; names must be exactly the architecture's and shapes must match.
    public init(architecture: ModelArchitecture, namedTensors: [String: Tensor]) throws(ModelError) {
        let layers = architecture.layers
        let expected = Set(layers.flatMap { [$0.weightName, $0.biasName] })
        if let unexpected = namedTensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw .unexpectedTensor(unexpected)
        }
        var parameters: [Float] = []
        parameters.reserveCapacity(namedTensors.values.reduce(0) { $0 + $1.count })
        for layer in layers {
            for (name, shape) in [(layer.weightName, layer.weightShape), (layer.biasName, layer.biasShape)] {
                guard let tensor = namedTensors[name] else { throw .missingTensor(name) }
                guard tensor.shape == shape else {
                    throw .tensorShapeMismatch(name: name, expected: shape, actual: tensor.shape)
                }
                parameters.append(contentsOf: tensor.values)
            }
        }
        try self.init(architecture: architecture, parameters: parameters)
    }
}

extension MLP {
    /// The nonlinearity after every hidden layer.
    var hiddenActivation: HiddenActivation { architecture.dense?.hiddenActivation ?? .relu }
}

/// Where one dense layer's weights and biases live in the flat parameter vector.
struct DenseLayer: Sendable {
    let index: Int
    let inputs: Int
    let outputs: Int
    let weightOffset: Int
    let isOutput: Bool

    var weightCount: Int { inputs * outputs }
    var biasOffset: Int { weightOffset + weightCount }
    var weightRange: Range<Int> { weightOffset..<biasOffset }
    var biasRange: Range<Int> { biasOffset..<(biasOffset + outputs) }
    var weightShape: [Int] { [outputs, inputs] }
    var biasShape: [Int] { [outputs] }
    var weightName: String { "layers.\(index).weight" }
    var biasName: String { "layers.\(index).bias" }
}

extension ModelArchitecture {
    /// The dense layers in order with their parameter offsets; none for a layer list.
    var layers: [DenseLayer] {
        let layerSizes = dense?.layerSizes ?? []
        guard !layerSizes.isEmpty else { return [] }
        var offset = 0
        let count = layerSizes.count - 1
        return (0..<count).map { index in
            let layer = DenseLayer(
                index: index, inputs: layerSizes[index], outputs: layerSizes[index + 1],
                weightOffset: offset, isOutput: index == count - 1)
            offset += layer.weightCount + layer.outputs
            return layer
        }
    }
}
