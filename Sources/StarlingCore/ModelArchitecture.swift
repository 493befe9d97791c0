/// The layer widths of a fully connected network, e.g. `[64, 32, 10]`.
///
/// Exists so that every component (trainer, aggregator, bundle format, admin CLI) agrees on the
/// exact parameter layout of a model from one small validated value. Two widths describe a
/// multinomial logistic regression. Encoded in JSON as the string `"64-32-10"`.
public struct ModelArchitecture: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Largest accepted layer width.
    public static let maximumLayerSize = 65_536

    /// Input width, hidden widths, output width.
    public var layerSizes: [Int]

    /// Validates: at least two widths, each in 1...65536.
    public init(layerSizes: [Int]) throws(ModelError) {
        guard layerSizes.count >= 2 else {
            throw .invalidArchitecture(
                "at least an input and an output width are needed, got \(layerSizes.count) width(s)")
        }
        for (index, size) in layerSizes.enumerated() where !(1...Self.maximumLayerSize).contains(size) {
            throw .invalidArchitecture(
                "layer \(index) has width \(size), expected 1...\(Self.maximumLayerSize)")
        }
        self.layerSizes = layerSizes
    }

    /// Parses the dash-separated form, e.g. `"64-32-10"` (surrounding whitespace ignored).
    public init(parsing text: String) throws(ModelError) {
        let trimmed = text.trimmingWhitespace()
        var sizes: [Int] = []
        for part in trimmed.split(separator: "-", omittingEmptySubsequences: false) {
            guard let size = Int(part) else {
                throw .invalidArchitecture("'\(text)' is not of the form 64-32-10 ('\(part)' is not a width)")
            }
            sizes.append(size)
        }
        try self.init(layerSizes: sizes)
    }

    /// The dash-separated form, e.g. `"64-32-10"`.
    public var description: String {
        layerSizes.map(String.init).joined(separator: "-")
    }

    /// Number of input features.
    public var inputSize: Int { layerSizes.first ?? 0 }

    /// Number of output classes.
    public var outputSize: Int { layerSizes.last ?? 0 }

    /// Total weights and biases: Σ_l (in_l · out_l + out_l).
    public var parameterCount: Int {
        zip(layerSizes, layerSizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

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
