#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a model computes: either a fully connected network given by its layer widths and hidden
/// activation (`64-32-10`, `64-32-10/tanh`), or a layer list over an input map (convolutions,
/// pooling, normalisation, dense layers; see ``NetworkDescription``).
///
/// Exists so that every component (trainer, aggregator, bundle format, admin CLI) agrees on the
/// exact parameter layout and forward function of a model from one small validated value. Two widths
/// describe a multinomial logistic regression. Encoded in JSON as the string `"64-32-10"` (ReLU hidden
/// layers, the form every earlier manifest uses) or `"64-32-10/tanh"` / `"64-32-10/sigmoid"` for a
/// dense network, and as the layer list's object `{"input": [...], "layers": [...]}` otherwise.
public struct ModelArchitecture: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Largest accepted layer width.
    public static let maximumLayerSize = 65_536
    /// Largest accepted text of a layer list, in UTF-8 bytes.
    public static let maximumDescriptionLength = 65_536

    /// The two kinds of model.
    public enum Form: Sendable, Equatable, Hashable {
        /// Input width, hidden widths, output width, and the nonlinearity after every hidden layer.
        case dense(layerSizes: [Int], hiddenActivation: HiddenActivation)
        /// A checked layer list.
        case network(NetworkLayout)
    }

    public let form: Form

    /// Validates: at least two widths, each in 1...65536; a non-ReLU activation needs a hidden layer.
    public init(layerSizes: [Int], hiddenActivation: HiddenActivation = .relu) throws(ModelError) {
        guard layerSizes.count >= 2 else {
            throw .invalidArchitecture(
                "at least an input and an output width are needed, got \(layerSizes.count) width(s)")
        }
        for (index, size) in layerSizes.enumerated() where !(1...Self.maximumLayerSize).contains(size) {
            throw .invalidArchitecture(
                "layer \(index) has width \(size), expected 1...\(Self.maximumLayerSize)")
        }
        guard layerSizes.count > 2 || hiddenActivation == .relu else {
            throw .invalidArchitecture(
                "a network without hidden layers has no hidden activation, got '\(hiddenActivation.rawValue)'")
        }
        form = .dense(layerSizes: layerSizes, hiddenActivation: hiddenActivation)
    }

    /// A layer list, checked layer by layer; a layer that does not fit is named with its shape.
    public init(network: NetworkDescription) throws(ModelError) {
        do {
            form = .network(try network.layout())
        } catch {
            throw .invalidArchitecture(error.description)
        }
    }

    /// Wraps a layout that was checked when it was made.
    init(checked layout: NetworkLayout) {
        form = .network(layout)
    }

    /// Parses `"64-32-10"` (ReLU) or `"64-32-10/tanh"`, `"64-32-10/sigmoid"`, `"64-32-10/relu"`, or a
    /// layer list as JSON text (`{"input": [28, 28, 1], "layers": [...]}`); surrounding whitespace
    /// ignored.
    public init(parsing text: String) throws(ModelError) {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasPrefix("{") {
            guard trimmed.utf8.count <= Self.maximumDescriptionLength else {
                throw .invalidArchitecture(
                    "the layer list is \(trimmed.utf8.count) bytes, more than \(Self.maximumDescriptionLength)")
            }
            let description: NetworkDescription
            do {
                description = try NetworkDescription(json: Data(trimmed.utf8))
            } catch {
                throw .invalidArchitecture(error.description)
            }
            try self.init(network: description)
            return
        }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw .invalidArchitecture(
                "'\(text.prefix(80))' is not of the form 64-32-10 or 64-32-10/tanh (more than one '/')")
        }
        var activation = HiddenActivation.relu
        if parts.count == 2 {
            guard let parsed = HiddenActivation(rawValue: String(parts[1])) else {
                let known = HiddenActivation.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidArchitecture("'\(parts[1].prefix(80))' is not a hidden activation (\(known))")
            }
            activation = parsed
        }
        var sizes: [Int] = []
        for part in parts[0].split(separator: "-", omittingEmptySubsequences: false) {
            guard let size = Int(part) else {
                throw .invalidArchitecture(
                    "'\(text.prefix(80))' is not of the form 64-32-10 ('\(part.prefix(80))' is not a width)")
            }
            sizes.append(size)
        }
        try self.init(layerSizes: sizes, hiddenActivation: activation)
    }

    /// The text form: `"64-32-10"` for ReLU, `"64-32-10/tanh"` or `"64-32-10/sigmoid"` otherwise; a
    /// layer list as compact JSON with sorted keys (what ``init(parsing:)`` reads back).
    public var description: String {
        switch form {
        case .dense(let layerSizes, let hiddenActivation):
            let widths = layerSizes.map(String.init).joined(separator: "-")
            return hiddenActivation == .relu ? widths : "\(widths)/\(hiddenActivation.rawValue)"
        case .network(let layout):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // A checked description of strings, integers and booleans always encodes.
            guard let data = try? encoder.encode(layout.description) else { return "{}" }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// The dense widths and hidden activation; nil for a layer list.
    public var dense: (layerSizes: [Int], hiddenActivation: HiddenActivation)? {
        guard case .dense(let layerSizes, let hiddenActivation) = form else { return nil }
        return (layerSizes, hiddenActivation)
    }

    /// The checked layer list; nil for a dense network.
    public var network: NetworkLayout? {
        guard case .network(let layout) = form else { return nil }
        return layout
    }

    /// Number of input features (values of one example).
    public var inputSize: Int {
        switch form {
        case .dense(let layerSizes, _): layerSizes.first ?? 0
        case .network(let layout): layout.inputSize
        }
    }

    /// Number of output classes.
    public var outputSize: Int {
        switch form {
        case .dense(let layerSizes, _): layerSizes.last ?? 0
        case .network(let layout): layout.classes
        }
    }

    /// Total weights and biases (for dense networks Σ_l (in_l · out_l + out_l)), computed with
    /// overflow checks: a sum that does not fit an `Int` is `Int.max`, so a ``ModelSizeLimit``
    /// refuses it instead of the count trapping.
    public var parameterCount: Int {
        switch form {
        case .dense(let layerSizes, _):
            var total = 0
            for (inputs, outputs) in zip(layerSizes, layerSizes.dropFirst()) {
                let (weights, weightsOverflow) = inputs.multipliedReportingOverflow(by: outputs)
                let (layer, layerOverflow) = weights.addingReportingOverflow(outputs)
                let (sum, sumOverflow) = total.addingReportingOverflow(layer)
                if weightsOverflow || layerOverflow || sumOverflow { return .max }
                total = sum
            }
            return total
        case .network(let layout):
            return layout.parameterCount
        }
    }

    /// Number of layers with weights: dense layers (one fewer than the widths), or the layer list's
    /// convolutions, normalisations and dense layers (not its activations, pooling or flatten).
    public var layerCount: Int {
        switch form {
        case .dense(let layerSizes, _): max(layerSizes.count - 1, 0)
        case .network(let layout): layout.layers.filter { !$0.weightRange.isEmpty }.count
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            if let text = try? container.decode(String.self) {
                try self.init(parsing: text)
            } else {
                try self.init(network: container.decode(NetworkDescription.self))
            }
        } catch let error as ModelError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch form {
        case .dense: try container.encode(description)
        case .network(let layout): try container.encode(layout.description)
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
