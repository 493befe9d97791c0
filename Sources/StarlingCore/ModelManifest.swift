/// Everything a model is besides its weights: identity, class labels, input scaling, decision threshold.
///
/// Stored as JSON in the safetensors `__metadata__["starling.manifest"]` entry so a single file is a
/// complete, self-describing model.
public struct ModelManifest: Codable, Sendable, Equatable {
    /// Human-readable model name (e.g. "digits").
    public var name: String
    /// Monotonic model version.
    public var version: Int
    /// Layer widths.
    public var architecture: ModelArchitecture
    /// Class names, index-aligned with the output layer (`labels.count == architecture.outputSize`).
    public var labels: [String]
    /// Input scaling (`standardization.featureCount == architecture.inputSize`).
    public var standardization: Standardization
    /// Minimum top-class probability for a prediction to be considered confident, in 0...1.
    public var confidenceThreshold: Double

    /// Validates label count, standardisation width and threshold range against the architecture.
    public init(
        name: String,
        version: Int,
        architecture: ModelArchitecture,
        labels: [String],
        standardization: Standardization,
        confidenceThreshold: Double
    ) throws(ModelError) {
        guard labels.count == architecture.outputSize else {
            throw .invalidManifest(
                "\(labels.count) labels for \(architecture.outputSize) outputs of architecture \(architecture)")
        }
        guard standardization.featureCount == architecture.inputSize else {
            throw .invalidManifest(
                "standardization has \(standardization.featureCount) features, architecture \(architecture) has \(architecture.inputSize) inputs")
        }
        guard confidenceThreshold.isFinite, (0...1).contains(confidenceThreshold) else {
            throw .invalidManifest("confidence threshold \(confidenceThreshold) is outside 0...1")
        }
        self.name = name
        self.version = version
        self.architecture = architecture
        self.labels = labels
        self.standardization = standardization
        self.confidenceThreshold = confidenceThreshold
    }

    private enum CodingKeys: String, CodingKey {
        case name, version, architecture, labels, standardization, confidenceThreshold
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                name: container.decode(String.self, forKey: .name),
                version: container.decode(Int.self, forKey: .version),
                architecture: container.decode(ModelArchitecture.self, forKey: .architecture),
                labels: container.decode([String].self, forKey: .labels),
                standardization: container.decode(Standardization.self, forKey: .standardization),
                confidenceThreshold: container.decode(Double.self, forKey: .confidenceThreshold))
        } catch let error as ModelError {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}
