import StarlingCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An admin's request to create a model in the registry; version 1 is initialised from `seed`.
public struct CreateModelRequest: Codable, Sendable {
    public var name: String
    /// Layer widths joined by `-`, e.g. `64-32-10` (two widths make a logistic regression), or a
    /// layer list as JSON text (`starling model create --arch-file`).
    public var architecture: String
    /// Class names, one per output; default `0`…`k-1`.
    public var labels: [String]?
    /// Per-feature mean and standard deviation the model standardises its input with; default identity.
    public var featureMean: [Double]?
    public var featureStd: [Double]?
    /// Phase-one answers whose top probability is below this go to phase two; default 0.8.
    public var confidenceThreshold: Double?
    public var seed: UInt64?
    /// A feature profile the model's preprocessing is chosen from (instead of `featureMean`/`featureStd`).
    public var profile: String?
    /// The profile's version; default its newest.
    public var profileVersion: Int?
    /// How per-feature transforms are chosen from the profile; default ``PreprocessingKind/auto``.
    public var preprocess: PreprocessingKind?

    public init(
        name: String, architecture: String, labels: [String]? = nil, featureMean: [Double]? = nil,
        featureStd: [Double]? = nil, confidenceThreshold: Double? = nil, seed: UInt64? = nil, profile: String? = nil,
        profileVersion: Int? = nil, preprocess: PreprocessingKind? = nil
    ) {
        self.name = name
        self.architecture = architecture
        self.labels = labels
        self.featureMean = featureMean
        self.featureStd = featureStd
        self.confidenceThreshold = confidenceThreshold
        self.seed = seed
        self.profile = profile
        self.profileVersion = profileVersion
        self.preprocess = preprocess
    }
}

/// A model in the registry: its fixed shape and its newest version.
public struct ModelInfo: Codable, Sendable, Equatable {
    public var name: String
    public var architecture: String
    public var labels: [String]
    public var confidenceThreshold: Double
    public var latestVersion: Int
    public var createdAt: Date

    public init(
        name: String, architecture: String, labels: [String], confidenceThreshold: Double,
        latestVersion: Int, createdAt: Date
    ) {
        self.name = name
        self.architecture = architecture
        self.labels = labels
        self.confidenceThreshold = confidenceThreshold
        self.latestVersion = latestVersion
        self.createdAt = createdAt
    }
}

/// The admin API's model listing.
public struct ModelList: Codable, Sendable {
    public var models: [ModelInfo]

    public init(models: [ModelInfo]) { self.models = models }
}

/// Where a version came from.
public enum VersionSource: String, Codable, Sendable {
    case initialized, imported, round
}

/// The lineage of a version made by a round of a federated run.
public struct VersionLineage: Codable, Sendable, Equatable {
    public var parentVersion: Int?
    public var runId: String?
    public var round: Int?
    public var cohortSize: Int?
    /// The differential privacy the round that made this version applied, if any.
    public var privacy: VersionPrivacy?
    /// The monitor alert whose `retrain` action started the run, if one did.
    public var trigger: RetrainTrigger?

    public init(
        parentVersion: Int? = nil, runId: String? = nil, round: Int? = nil,
        cohortSize: Int? = nil, privacy: VersionPrivacy? = nil, trigger: RetrainTrigger? = nil
    ) {
        self.trigger = trigger
        self.parentVersion = parentVersion
        self.runId = runId
        self.round = round
        self.cohortSize = cohortSize
        self.privacy = privacy
    }

    private enum CodingKeys: String, CodingKey {
        case parentVersion, runId, round, cohortSize, privacy, trigger
        /// What `runId` and `round` were called in lineages recorded before runs held rounds.
        case roundId, roundIteration
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        parentVersion = try container.decodeIfPresent(Int.self, forKey: .parentVersion)
        runId =
            try container.decodeIfPresent(String.self, forKey: .runId)
            ?? container.decodeIfPresent(String.self, forKey: .roundId)
        round =
            try container.decodeIfPresent(Int.self, forKey: .round)
            ?? container.decodeIfPresent(Int.self, forKey: .roundIteration)
        cohortSize = try container.decodeIfPresent(Int.self, forKey: .cohortSize)
        privacy = try container.decodeIfPresent(VersionPrivacy.self, forKey: .privacy)
        trigger = try container.decodeIfPresent(RetrainTrigger.self, forKey: .trigger)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(parentVersion, forKey: .parentVersion)
        try container.encodeIfPresent(runId, forKey: .runId)
        try container.encodeIfPresent(round, forKey: .round)
        try container.encodeIfPresent(cohortSize, forKey: .cohortSize)
        try container.encodeIfPresent(privacy, forKey: .privacy)
        try container.encodeIfPresent(trigger, forKey: .trigger)
    }
}

/// Training figures of a version, weighted by the devices' sample counts.
public struct VersionMetrics: Codable, Sendable, Equatable {
    /// A metric that at least one device's value was beyond the secure encoding's range for, so the
    /// fleet figure is not reported.
    public struct ClippedMetric: Codable, Sendable, Equatable {
        public var name: String
        public var devices: Int

        public init(name: String, devices: Int) {
            self.name = name
            self.devices = devices
        }
    }

    /// Mean training loss; nil when not measured or clipped (see `clipped`).
    public var trainLoss: Double?
    /// Accuracy of the devices' locally trained models on their own held-out samples.
    public var evalAccuracy: Double?
    public var trainSamples: Int?
    public var evalSamples: Int?
    /// Metrics left out because some device's value was clipped; nil when none was.
    public var clipped: [ClippedMetric]?

    public init(
        trainLoss: Double? = nil, evalAccuracy: Double? = nil, trainSamples: Int? = nil,
        evalSamples: Int? = nil, clipped: [ClippedMetric]? = nil
    ) {
        self.trainLoss = trainLoss
        self.evalAccuracy = evalAccuracy
        self.trainSamples = trainSamples
        self.evalSamples = evalSamples
        self.clipped = clipped
    }
}

/// One registered, immutable version of a model.
public struct ModelVersionInfo: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int
    /// SHA-256 of the fp32 safetensors artifact, lowercase hex.
    public var sha256: String
    public var sizeBytes: Int
    /// SHA-256 of the int8 artifact (``ArtifactFormat/int8``) quantized from it, lowercase hex.
    public var sha256Int8: String
    public var sizeBytesInt8: Int
    /// SHA-256 of the manifest as the fp32 artifact stores it, lowercase hex.
    public var manifestSha256: String
    /// The aggregator's Ed25519 signature of the version's ``VersionStatement``, base64.
    public var signature: String
    public var source: VersionSource
    public var lineage: VersionLineage
    public var metrics: VersionMetrics
    public var createdAt: Date
    /// The newest federated evaluation of this version, if any.
    public var evaluation: FederatedEvaluation?

    public init(
        model: String, version: Int, sha256: String, sizeBytes: Int, sha256Int8: String, sizeBytesInt8: Int,
        manifestSha256: String, signature: String, source: VersionSource, lineage: VersionLineage,
        metrics: VersionMetrics, createdAt: Date, evaluation: FederatedEvaluation? = nil
    ) {
        self.model = model
        self.version = version
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
        self.sha256Int8 = sha256Int8
        self.sizeBytesInt8 = sizeBytesInt8
        self.manifestSha256 = manifestSha256
        self.signature = signature
        self.source = source
        self.lineage = lineage
        self.metrics = metrics
        self.createdAt = createdAt
        self.evaluation = evaluation
    }
}

/// The admin API's version listing, oldest first.
public struct VersionList: Codable, Sendable {
    public var versions: [ModelVersionInfo]

    public init(versions: [ModelVersionInfo]) { self.versions = versions }
}

/// Names the registry model that answers phase-two refinement (its newest version, unless pinned).
public struct RefinementSettings: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int?

    public init(model: String, version: Int? = nil) {
        self.model = model
        self.version = version
    }
}
