public import StarlingCore

/// A layer network's weights as the int8 phase one runs them: dense, convolution and depthwise
/// weights quantized symmetrically per output channel, float biases, and group normalisation's
/// gamma and beta kept in float.
///
/// Exists as the one value the quantizer produces, the int8 artifact stores and ``Int8LayerNetwork``
/// packs, so a device runs exactly the int8 weights the aggregator made and signed. Every int8
/// weight is a ``PerChannelInt8`` with one row per output channel: dense [outputs, inputs],
/// convolution [filters, kernel height × kernel width × input channels], depthwise [channels,
/// kernel height × kernel width] (channel-major, unlike the float layer's channels-last taps).
public struct QuantizedNetwork: Sendable, Equatable {
    /// One layer with parameters, by its index in the layout.
    public struct Layer: Sendable, Equatable {
        /// An int8 matrix with per-row scales, or float values (group normalisation's gamma).
        public enum Weight: Sendable, Equatable {
            case int8(PerChannelInt8)
            case float([Float])
        }

        public var index: Int
        public var weight: Weight
        public var bias: [Float]
    }

    public let layout: NetworkLayout
    /// The layers that have parameters, in layout order.
    public let layers: [Layer]

    /// Quantizes `network`'s weights per output channel.
    public init(network: LayerNetwork) {
        layout = network.layout
        layers = network.layout.layers.compactMap { placed -> Layer? in
            guard !placed.weightRange.isEmpty else { return nil }
            let weights = Array(network.parameters[placed.weightRange])
            let bias = Array(network.parameters[placed.biasRange])
            guard let rows = Self.int8Rows(placed) else {
                return Layer(index: placed.index, weight: .float(weights), bias: bias)
            }
            let columns = weights.count / rows
            let matrix: [Float]
            if case .depthwise = placed.layer {
                matrix = Self.transpose(weights, rows: columns, columns: rows)
            } else {
                matrix = weights
            }
            let quantized = PerChannelInt8(weight: Tensor(shape: [rows, columns], values: matrix))
            return Layer(index: placed.index, weight: .int8(quantized), bias: bias)
        }
    }

    /// Wraps layers read from an artifact, which ``init(layout:decoding:)`` checked against `layout`.
    init(layout: NetworkLayout, checkedLayers layers: [Layer]) {
        self.layout = layout
        self.layers = layers
    }

    /// Output channels of a layer whose weights run in int8; nil for a float layer.
    static func int8Rows(_ placed: PlacedLayer) -> Int? {
        switch placed.layer {
        case .dense(let layer): layer.outputs
        case .convolution(let layer): layer.output.channels
        case .depthwise(let layer): layer.output.channels
        case .groupNormalization, .maxPooling, .averagePooling, .globalAveragePooling, .rectifier, .flatten: nil
        }
    }

    /// `values` as [rows, columns] transposed to [columns, rows].
    static func transpose<Value>(_ values: [Value], rows: Int, columns: Int) -> [Value] {
        guard let first = values.first else { return [] }
        var result = [Value](repeating: first, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns { result[column * rows + row] = values[row * columns + column] }
        }
        return result
    }
}
