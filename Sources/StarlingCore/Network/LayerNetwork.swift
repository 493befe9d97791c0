/// A network given as a layer list (convolutions, pooling, normalisation, dense layers) ending in
/// softmax over its classes: a checked ``NetworkLayout`` and one flat parameter vector, so that
/// federated averaging, secure aggregation and DP noise treat it as a vector of floats like ``MLP``.
/// `namedTensors` gives each parameter layer's `layers.{index}.weight` and `.bias` (gamma and beta
/// for group normalisation), in the layer's own layout.
public struct LayerNetwork: Sendable, Equatable {
    public let layout: NetworkLayout
    public var parameters: [Float]

    /// Random initialisation from `seed`: He normal (variance 2/fan-in) for convolutions and hidden
    /// dense layers, Glorot for the output layer, zero biases, gamma 1 and beta 0.
    public init(layout: NetworkLayout, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        var parameters = [Float](repeating: 0, count: layout.parameterCount)
        for placed in layout.layers {
            let variance: Double
            switch placed.layer {
            case .dense(let layer):
                let isOutput = placed.index == layout.layers.count - 1
                variance = isOutput ? 2 / Double(layer.inputs + layer.outputs) : 2 / Double(layer.inputs)
            case .convolution(let layer): variance = 2 / Double(layer.patchSize)
            case .depthwise(let layer): variance = 2 / Double(layer.window.kernelHeight * layer.window.kernelWidth)
            case .groupNormalization:
                for index in placed.weightRange { parameters[index] = 1 }
                continue
            case .maxPooling, .averagePooling, .globalAveragePooling, .rectifier, .flatten: continue
            }
            let deviation = variance.squareRoot()
            for index in placed.weightRange { parameters[index] = Float(rng.nextGaussian() * deviation) }
        }
        self.layout = layout
        self.parameters = parameters
    }

    /// Wraps existing parameters; their count must be the layout's.
    public init(layout: NetworkLayout, parameters: [Float]) throws(ModelError) {
        guard parameters.count == layout.parameterCount else {
            throw .parameterCountMismatch(expected: layout.parameterCount, actual: parameters.count)
        }
        self.layout = layout
        self.parameters = parameters
    }

    /// Rebuilds a network from named tensors; names must be exactly the layout's and shapes must match.
    public init(layout: NetworkLayout, namedTensors: [String: Tensor]) throws(ModelError) {
        let expected = layout.layers.filter { !$0.weightRange.isEmpty }.flatMap { placed in
            [(placed.weightName, placed.weightShape), (placed.biasName, [placed.biasRange.count])]
        }
        let names = Set(expected.map(\.0))
        if let unexpected = namedTensors.keys.sorted().first(where: { !names.contains($0) }) {
            throw .unexpectedTensor(unexpected)
        }
        var parameters: [Float] = []
        parameters.reserveCapacity(layout.parameterCount)
        for (name, shape) in expected {
            guard let tensor = namedTensors[name] else { throw .missingTensor(name) }
            guard tensor.shape == shape else {
                throw .tensorShapeMismatch(name: name, expected: shape, actual: tensor.shape)
            }
            parameters.append(contentsOf: tensor.values)
        }
        try self.init(layout: layout, parameters: parameters)
    }

    /// Each parameter layer's weights and biases, in layer order.
    public var namedTensors: [(name: String, tensor: Tensor)] {
        layout.layers.flatMap { placed -> [(name: String, tensor: Tensor)] in
            guard !placed.weightRange.isEmpty else { return [] }
            return [
                (placed.weightName, Tensor(shape: placed.weightShape, values: Array(parameters[placed.weightRange]))),
                (placed.biasName, Tensor(shape: [placed.biasRange.count], values: Array(parameters[placed.biasRange]))),
            ]
        }
    }
}

extension PlacedLayer {
    /// The weights' layout: dense [outputs, inputs], convolution [filters, kernel height, kernel
    /// width, input channels], depthwise [kernel height, kernel width, channels × multiplier], group
    /// normalisation's gamma [channels].
    public var weightShape: [Int] {
        switch layer {
        case .dense(let layer): [layer.outputs, layer.inputs]
        case .convolution(let layer):
            [layer.output.channels, layer.window.kernelHeight, layer.window.kernelWidth, layer.input.channels]
        case .depthwise(let layer): [layer.window.kernelHeight, layer.window.kernelWidth, layer.output.channels]
        case .groupNormalization(let layer): [layer.shape.channels]
        case .maxPooling, .averagePooling, .globalAveragePooling, .rectifier, .flatten: [0]
        }
    }
}
