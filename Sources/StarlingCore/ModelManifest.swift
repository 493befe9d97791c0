/// Everything a model is besides its weights: identity, class labels, input preprocessing, decision
/// threshold.
///
/// Stored as JSON in the safetensors `__metadata__["starling.manifest"]` entry so a single file is a
/// complete, self-describing model.
///
/// A version's signature covers the SHA-256 of the manifest re-encoded as compact sorted-key JSON, so
/// decoding and re-encoding must give back the stored bytes. Manifests written before preprocessing
/// existed carry a `standardization` object instead of `preprocessing`; they decode to the equivalent
/// unclipped z-scores and remember their format, re-encoding as `standardization` for as long as
/// their preprocessing is still a plain standardisation and no profile is named, so their digests
/// keep verifying. Because the two formats have different digests, such a manifest is not equal to
/// the same preprocessing in the current format.
public struct ModelManifest: Codable, Sendable, Equatable {
    /// Human-readable model name (e.g. "digits").
    public var name: String
    /// Monotonic model version.
    public var version: Int
    /// Layer widths.
    public var architecture: ModelArchitecture
    /// Class names, index-aligned with the output layer (`labels.count == architecture.outputSize`).
    public var labels: [String]
    /// Per-feature input preprocessing (`preprocessing.featureCount == architecture.inputSize`).
    public var preprocessing: Preprocessing
    /// The feature profile the preprocessing was chosen from, if any.
    public var profile: ProfileReference?
    /// The profile's decile bins, which devices compare their inputs with to measure drift; nil
    /// for models made without a profile.
    public var drift: DriftReference?
    /// Minimum top-class probability for a prediction to be considered confident, in 0...1.
    public var confidenceThreshold: Double
    /// Decoded from the legacy `standardization` format, and re-encoded in it while possible.
    private var isLegacyFormat = false

    /// Validates label count, preprocessing width and threshold range against the architecture.
    public init(
        name: String,
        version: Int,
        architecture: ModelArchitecture,
        labels: [String],
        preprocessing: Preprocessing,
        profile: ProfileReference? = nil,
        drift: DriftReference? = nil,
        confidenceThreshold: Double
    ) throws(ModelError) {
        guard labels.count == architecture.outputSize else {
            throw .invalidManifest(
                "\(labels.count) labels for \(architecture.outputSize) outputs of architecture \(architecture)")
        }
        guard preprocessing.featureCount == architecture.inputSize else {
            throw .invalidManifest(
                "preprocessing has \(preprocessing.featureCount) features, architecture \(architecture) has "
                    + "\(architecture.inputSize) inputs")
        }
        guard confidenceThreshold.isFinite, (0...1).contains(confidenceThreshold) else {
            throw .invalidManifest("confidence threshold \(confidenceThreshold) is outside 0...1")
        }
        self.name = name
        self.version = version
        self.architecture = architecture
        self.labels = labels
        self.preprocessing = preprocessing
        guard drift == nil || drift?.width == architecture.inputSize else {
            throw .invalidManifest(
                "the drift reference has \(drift?.width ?? 0) features, architecture \(architecture) has \(architecture.inputSize) inputs"
            )
        }
        self.profile = profile
        self.drift = drift
        self.confidenceThreshold = confidenceThreshold
    }

    private enum CodingKeys: String, CodingKey {
        case name, version, architecture, labels, preprocessing, profile, drift, standardization, confidenceThreshold
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let preprocessing: Preprocessing
        let isLegacy = !container.contains(.preprocessing) && container.contains(.standardization)
        if isLegacy {
            preprocessing = Preprocessing(
                standardization: try container.decode(Standardization.self, forKey: .standardization))
        } else {
            preprocessing = try container.decode(Preprocessing.self, forKey: .preprocessing)
        }
        do {
            try self.init(
                name: container.decode(String.self, forKey: .name),
                version: container.decode(Int.self, forKey: .version),
                architecture: container.decode(ModelArchitecture.self, forKey: .architecture),
                labels: container.decode([String].self, forKey: .labels),
                preprocessing: preprocessing,
                profile: container.decodeIfPresent(ProfileReference.self, forKey: .profile),
                drift: container.decodeIfPresent(DriftReference.self, forKey: .drift),
                confidenceThreshold: container.decode(Double.self, forKey: .confidenceThreshold))
        } catch let error as ModelError {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description))
        }
        isLegacyFormat = isLegacy
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(architecture, forKey: .architecture)
        try container.encode(labels, forKey: .labels)
        if isLegacyFormat, profile == nil, drift == nil, let standardization = preprocessing.standardization {
            try container.encode(standardization, forKey: .standardization)
        } else {
            try container.encode(preprocessing, forKey: .preprocessing)
            try container.encodeIfPresent(profile, forKey: .profile)
            try container.encodeIfPresent(drift, forKey: .drift)
        }
        try container.encode(confidenceThreshold, forKey: .confidenceThreshold)
    }
}
