/// A layer of a network once its description has been checked against the shape that reaches it.
public enum NetworkLayer: Sendable, Equatable {
    case dense(FullyConnected)
    case convolution(Convolution)
    case depthwise(DepthwiseConvolution)
    case maxPooling(MaxPooling)
    case averagePooling(AveragePooling)
    case globalAveragePooling(GlobalAveragePooling)
    case groupNormalization(GroupNormalization)
    case rectifier(ClippedRectifier)
    /// A channels-last map read as one flat row per example; moves nothing.
    case flatten

    /// Its weights (or group normalisation's gamma) and biases (or beta).
    var parameterCounts: (weights: Int, biases: Int) {
        switch self {
        case .dense(let layer): (layer.weightCount, layer.biasCount)
        case .convolution(let layer): (layer.weightCount, layer.biasCount)
        case .depthwise(let layer): (layer.weightCount, layer.biasCount)
        case .groupNormalization(let layer): (layer.shape.channels, layer.shape.channels)
        case .maxPooling, .averagePooling, .globalAveragePooling, .rectifier, .flatten: (0, 0)
        }
    }
}

/// A checked layer with its place in the network: its index in the description, the shape of one
/// example's input and output (a map, or a flat row as height 1 × width 1 × values), and where its
/// parameters start in the network's flat parameter vector.
public struct PlacedLayer: Sendable, Equatable {
    public let index: Int
    public let layer: NetworkLayer
    public let input: FeatureMapShape
    public let output: FeatureMapShape
    public let parameterOffset: Int

    public var weightRange: Range<Int> { parameterOffset..<(parameterOffset + layer.parameterCounts.weights) }
    public var biasRange: Range<Int> {
        weightRange.upperBound..<(weightRange.upperBound + layer.parameterCounts.biases)
    }
    var weightName: String { "layers.\(index).weight" }
    var biasName: String { "layers.\(index).bias" }
}
