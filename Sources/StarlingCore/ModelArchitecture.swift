/// The layer widths of a fully connected network and its hidden activation, e.g. `[64, 32, 10]` with ReLU.
///
/// Exists so that every component (trainer, aggregator, bundle format, admin CLI) agrees on the
/// exact parameter layout and forward function of a model from one small validated value. Two widths
/// describe a multinomial logistic regression. Encoded in JSON as the string `"64-32-10"` (ReLU hidden
/// layers, the form every earlier manifest uses) or `"64-32-10/tanh"` / `"64-32-10/sigmoid"`.
public struct ModelArchitecture: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Largest accepted layer width.
    public static let maximumLayerSize = 65_536

    /// Input width, hidden widths, output width.
    public var layerSizes: [Int]

    /// The nonlinearity after every hidden layer; always `.relu` when there is no hidden layer.
    public var hiddenActivation: HiddenActivation

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
        self.layerSizes = layerSizes
        self.hiddenActivation = hiddenActivation
    }

    /// Parses `"64-32-10"` (ReLU) or `"64-32-10/tanh"`, `"64-32-10/sigmoid"`, `"64-32-10/relu"`
    /// (surrounding whitespace ignored).
    public init(parsing text: String) throws(ModelError) {
        let parts = text.trimmingWhitespace().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw .invalidArchitecture("'\(text)' is not of the form 64-32-10 or 64-32-10/tanh (more than one '/')")
        }
        var activation = HiddenActivation.relu
        if parts.count == 2 {
            guard let parsed = HiddenActivation(rawValue: String(parts[1])) else {
                let known = HiddenActivation.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidArchitecture("'\(parts[1])' in '\(text)' is not a hidden activation (\(known))")
            }
            activation = parsed
        }
        var sizes: [Int] = []
        for part in parts[0].split(separator: "-", omittingEmptySubsequences: false) {
            guard let size = Int(part) else {
                throw .invalidArchitecture("'\(text)' is not of the form 64-32-10 ('\(part)' is not a width)")
            }
            sizes.append(size)
        }
        try self.init(layerSizes: sizes, hiddenActivation: activation)
    }

    /// The text form: `"64-32-10"` for ReLU, `"64-32-10/tanh"` or `"64-32-10/sigmoid"` otherwise.
    public var description: String {
        let widths = layerSizes.map(String.init).joined(separator: "-")
        return hiddenActivation == .relu ? widths : "\(widths)/\(hiddenActivation.rawValue)"
    }

    /// Number of input features.
    public var inputSize: Int { layerSizes.first ?? 0 }

    /// Number of output classes.
    public var outputSize: Int { layerSizes.last ?? 0 }

    /// Total weights and biases: Σ_l (in_l · out_l + out_l), computed with overflow checks: a sum that
    /// does not fit an `Int` is `Int.max`, so a ``ModelSizeLimit`` refuses it instead of the count trapping.
    public var parameterCount: Int {
        var total = 0
        for (inputs, outputs) in zip(layerSizes, layerSizes.dropFirst()) {
            let (weights, weightsOverflow) = inputs.multipliedReportingOverflow(by: outputs)
            let (layer, layerOverflow) = weights.addingReportingOverflow(outputs)
            let (sum, sumOverflow) = total.addingReportingOverflow(layer)
            if weightsOverflow || layerOverflow || sumOverflow { return .max }
            total = sum
        }
        return total
    }

    /// Number of dense layers (one fewer than the widths).
    public var layerCount: Int { max(layerSizes.count - 1, 0) }

    /// True when there is no hidden layer (softmax regression).
    public var isLogisticRegression: Bool { layerSizes.count == 2 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
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
