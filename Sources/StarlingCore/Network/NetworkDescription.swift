#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A model given as a list of layers over an input map, the form `starling model create
/// --arch-file model.json` reads:
///
///     {"input": [28, 28, 1],
///      "layers": [{"type": "conv2d", "filters": 6, "kernel": [5, 5], "padding": [2]}, {"type": "relu"},
///                 {"type": "max_pool", "kernel": [2, 2]}, {"type": "flatten"}, {"type": "dense", "units": 10}]}
///
/// `input` is [height, width, channels] (a 1-D signal is [1, length, channels]); the last layer is
/// the dense layer whose units are the classes, followed by softmax. ``layout()`` checks every layer
/// against the shape reaching it and names the layer and the shape that does not fit.
public struct NetworkDescription: Codable, Sendable, Equatable, Hashable {
    /// The most layers a description may list.
    public static let maximumLayerCount = 64

    public var input: [Int]
    public var layers: [LayerDescription]

    public init(input: [Int], layers: [LayerDescription]) {
        self.input = input
        self.layers = layers
    }

    /// Reads `model.json`; a file that is not such a description is refused with the decoder's reason.
    public init(json: Data) throws(LayerShapeError) {
        do {
            self = try JSONDecoder().decode(NetworkDescription.self, from: json)
        } catch let error as DecodingError {
            throw LayerShapeError(layer: "description", reason: "it is not a layer list: \(error.sentence)")
        } catch {
            throw LayerShapeError(layer: "description", reason: "it is not a layer list: \(error)")
        }
    }

    /// The checked layers, their shapes and parameter offsets.
    public func layout() throws(LayerShapeError) -> NetworkLayout {
        guard input.count == 3 else {
            throw LayerShapeError(
                layer: "input",
                reason: "it is \(input) but must be [height, width, channels] ([1, length, channels] for a signal)")
        }
        guard !layers.isEmpty, layers.count <= Self.maximumLayerCount else {
            throw LayerShapeError(
                layer: "description",
                reason: "it lists \(layers.count) layers; it must list 1 to \(Self.maximumLayerCount)")
        }
        var shape = try FeatureMapShape(height: input[0], width: input[1], channels: input[2]).validated(
            layer: "input", role: "input")
        let inputShape = shape
        var isFlat = false
        var offset = 0
        var placed: [PlacedLayer] = []
        for (index, description) in layers.enumerated() {
            let resolved = try description.resolve(index: index, input: shape, isFlat: isFlat)
            let counts = resolved.layer.parameterCounts
            let (next, overflow) = offset.addingReportingOverflow(counts.weights + counts.biases)
            guard !overflow else {
                throw LayerShapeError(layer: description.displayName(index), reason: "the parameters overflow")
            }
            placed.append(
                PlacedLayer(
                    index: index, layer: resolved.layer, input: shape, output: resolved.output, parameterOffset: offset)
            )
            offset = next
            shape = resolved.output
            isFlat = resolved.isFlat
        }
        guard case .dense(let classifier) = placed.last?.layer else {
            let last = layers[layers.count - 1].displayName(layers.count - 1)
            throw LayerShapeError(layer: last, reason: "the last layer must be a dense layer with one unit per class")
        }
        return NetworkLayout(
            description: self, input: inputShape, layers: placed, parameterCount: offset, classes: classifier.outputs)
    }
}

/// A checked ``NetworkDescription``: each layer placed, the parameter count, the classes.
public struct NetworkLayout: Sendable {
    public let description: NetworkDescription
    public let input: FeatureMapShape
    public let layers: [PlacedLayer]
    public let parameterCount: Int
    public let classes: Int

    /// Values of one example's input.
    public var inputSize: Int { input.count }

    /// Floats one example's forward pass holds: every layer's output plus each convolution's
    /// unfolded patches; `Int.max` when the sum does not fit. What a ``ModelSizeLimit`` bounds, since
    /// a small kernel over a large map costs memory that no parameter count shows.
    public var activationCount: Int {
        var total = input.count
        for placed in layers {
            var count = placed.output.count
            if case .convolution(let layer) = placed.layer {
                let (unfolded, overflow) = (layer.output.height * layer.output.width).multipliedReportingOverflow(
                    by: layer.patchSize)
                if overflow { return .max }
                count += unfolded
            }
            let (sum, overflow) = total.addingReportingOverflow(count)
            if overflow { return .max }
            total = sum
        }
        return total
    }
}

extension NetworkLayout: Hashable {
    /// Layouts are equal when their descriptions are: everything else is computed from it.
    public static func == (lhs: NetworkLayout, rhs: NetworkLayout) -> Bool { lhs.description == rhs.description }

    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}

extension DecodingError {
    /// What the decoder could not read, and where, as a sentence fragment.
    var sentence: String {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
