#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An admin's request to run `rounds` consecutive federated rounds of FedAvg on a model.
public struct StartRoundRequest: Codable, Sendable {
    public var model: String
    /// The version to start from; default the newest.
    public var baseVersion: Int?
    /// How many devices to select per round (more than `minClients` to absorb stragglers).
    public var clients: Int
    /// The fewest updates a round accepts before its deadline.
    public var minClients: Int
    public var localEpochs: Int
    public var learningRate: Double
    public var momentum: Double?
    public var batchSize: Int?
    public var rounds: Int
    /// Seconds each round waits for updates; default 120.
    public var deadlineSeconds: Double?
    /// Which devices may take part; default all.
    public var selector: DeviceSelector?
    public var seed: UInt64?
    /// Whether devices' updates are combined by secure aggregation (SecAgg+), so the aggregator
    /// learns only their sum; default true.
    public var secureAggregation: Bool?
    /// With secure aggregation: the fewest devices that must stay to the end of the protocol;
    /// default the larger of `minClients` and a majority of the cohort.
    public var secureAggregationThreshold: Int?
    /// Differential privacy for the run; none by default.
    public var privacy: PrivacyRequest?

    public init(
        model: String, baseVersion: Int? = nil, clients: Int, minClients: Int, localEpochs: Int,
        learningRate: Double, momentum: Double? = nil, batchSize: Int? = nil, rounds: Int,
        deadlineSeconds: Double? = nil, selector: DeviceSelector? = nil, seed: UInt64? = nil,
        secureAggregation: Bool? = nil, secureAggregationThreshold: Int? = nil, privacy: PrivacyRequest? = nil
    ) {
        self.model = model
        self.baseVersion = baseVersion
        self.clients = clients
        self.minClients = minClients
        self.localEpochs = localEpochs
        self.learningRate = learningRate
        self.momentum = momentum
        self.batchSize = batchSize
        self.rounds = rounds
        self.deadlineSeconds = deadlineSeconds
        self.selector = selector
        self.seed = seed
        self.secureAggregation = secureAggregation
        self.secureAggregationThreshold = secureAggregationThreshold
        self.privacy = privacy
    }
}

/// Where a round (or one iteration of it) stands.
public enum RoundState: String, Codable, Sendable {
    case waiting, running, completed, failed

    public var isFinal: Bool { self == .completed || self == .failed }
}

/// One iteration of a multi-round run: its cohort, its updates and the version it produced.
public struct RoundIterationInfo: Codable, Sendable, Equatable {
    public var iteration: Int
    public var state: RoundState
    public var baseVersion: Int
    public var cohortSize: Int
    public var updatesReceived: Int
    public var producedVersion: Int?
    public var metrics: VersionMetrics?
    public var failureReason: String?
    public var startedAt: Date
    public var endedAt: Date?

    public init(
        iteration: Int, state: RoundState, baseVersion: Int, cohortSize: Int, updatesReceived: Int,
        producedVersion: Int?, metrics: VersionMetrics?, failureReason: String?, startedAt: Date,
        endedAt: Date?
    ) {
        self.iteration = iteration
        self.state = state
        self.baseVersion = baseVersion
        self.cohortSize = cohortSize
        self.updatesReceived = updatesReceived
        self.producedVersion = producedVersion
        self.metrics = metrics
        self.failureReason = failureReason
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

/// A federated run as the admin API shows it.
public struct RoundInfo: Codable, Sendable, Equatable {
    public var id: String
    public var model: String
    public var state: RoundState
    public var totalRounds: Int
    public var clients: Int
    public var minClients: Int
    public var localEpochs: Int
    public var learningRate: Double
    public var iterations: [RoundIterationInfo]
    public var failureReason: String?
    public var createdAt: Date
    /// Whether the run combines updates by secure aggregation.
    public var secureAggregation: Bool
    /// The run's differential privacy, if any.
    public var privacy: PrivacyRequest?

    public init(
        id: String, model: String, state: RoundState, totalRounds: Int, clients: Int, minClients: Int,
        localEpochs: Int, learningRate: Double, iterations: [RoundIterationInfo], failureReason: String?,
        createdAt: Date, secureAggregation: Bool, privacy: PrivacyRequest? = nil
    ) {
        self.id = id
        self.model = model
        self.state = state
        self.totalRounds = totalRounds
        self.clients = clients
        self.minClients = minClients
        self.localEpochs = localEpochs
        self.learningRate = learningRate
        self.iterations = iterations
        self.failureReason = failureReason
        self.createdAt = createdAt
        self.secureAggregation = secureAggregation
        self.privacy = privacy
    }
}

/// A device's instruction to train: start from `baseVersion`, train locally, upload the weight delta.
///
/// The upload is a safetensors body with the same tensor names and shapes as the model, holding
/// `trained - base`, and metadata keys from ``UpdateMetadataKey``.
public struct RoundTask: Codable, Sendable, Equatable {
    public var roundId: String
    public var iteration: Int
    public var model: String
    public var baseVersion: Int
    public var sha256: String
    public var localEpochs: Int
    public var learningRate: Double
    public var momentum: Double
    public var batchSize: Int
    public var deadline: Date
    public var seed: UInt64
    /// Set when the update goes through secure aggregation instead of ``APIPath/deviceUpdate(roundId:iteration:)``.
    public var secureAggregation: SecureAggregationTask?
    /// Set when the device must train or clip with differential privacy.
    public var privacy: PrivacyTask?

    public init(
        roundId: String, iteration: Int, model: String, baseVersion: Int, sha256: String,
        localEpochs: Int, learningRate: Double, momentum: Double, batchSize: Int, deadline: Date,
        seed: UInt64, secureAggregation: SecureAggregationTask? = nil, privacy: PrivacyTask? = nil
    ) {
        self.roundId = roundId
        self.iteration = iteration
        self.model = model
        self.baseVersion = baseVersion
        self.sha256 = sha256
        self.localEpochs = localEpochs
        self.learningRate = learningRate
        self.momentum = momentum
        self.batchSize = batchSize
        self.deadline = deadline
        self.seed = seed
        self.secureAggregation = secureAggregation
        self.privacy = privacy
    }
}

/// The `__metadata__` keys a device's update carries (values are decimal strings).
public enum UpdateMetadataKey {
    public static let trainSamples = "train_samples"
    public static let trainLoss = "train_loss"
    public static let evalSamples = "eval_samples"
    public static let evalAccuracy = "eval_accuracy"
}

/// The aggregator's acknowledgement of an accepted update.
public struct UpdateReceipt: Codable, Sendable {
    public var roundId: String
    public var iteration: Int
    public var accepted: Bool

    public init(roundId: String, iteration: Int, accepted: Bool) {
        self.roundId = roundId
        self.iteration = iteration
        self.accepted = accepted
    }
}
