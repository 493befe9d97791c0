import StarlingCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where a round (or one round of it) stands.
public enum RoundState: String, Codable, Sendable {
    case waiting, running, completed, failed

    public var isFinal: Bool { self == .completed || self == .failed }
}

/// Where a run's current round stands: waiting for devices, collecting their contributions (under
/// secure aggregation, one of the four SecAgg+ stages), aggregating, or over.
public enum RoundStage: String, Codable, Sendable, CaseIterable {
    case waitingForDevices = "waiting_for_devices"
    case collecting
    case advertiseKeys = "advertise_keys"
    case shareKeys = "share_keys"
    case maskedInput = "masked_input"
    case unmasking
    case aggregating
    case completed
    case failed
}

/// One round of a multi-round run: its cohort, its updates and the version it produced.
public struct RoundInfo: Codable, Sendable, Equatable {
    public var round: Int
    public var state: RoundState
    public var baseVersion: Int
    public var cohortSize: Int
    public var updatesReceived: Int
    public var producedVersion: Int?
    public var metrics: VersionMetrics?
    public var failureReason: String?
    public var startedAt: Date
    public var endedAt: Date?
    /// Devices of the cohort that reported they could not contribute (diverged, no data, …).
    public var failedClients: [ClientFailure]
    /// How many times the round was started: more than 1 when a restarted aggregator had to do a
    /// secure round again with the same cohort.
    public var attempt: Int

    public init(
        round: Int, state: RoundState, baseVersion: Int, cohortSize: Int, updatesReceived: Int,
        producedVersion: Int?, metrics: VersionMetrics?, failureReason: String?, startedAt: Date,
        endedAt: Date?, failedClients: [ClientFailure] = [], attempt: Int = 1
    ) {
        self.attempt = attempt
        self.round = round
        self.state = state
        self.baseVersion = baseVersion
        self.cohortSize = cohortSize
        self.updatesReceived = updatesReceived
        self.producedVersion = producedVersion
        self.metrics = metrics
        self.failureReason = failureReason
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.failedClients = failedClients
    }
}

/// A federated run as the admin API shows it.
public struct RunInfo: Codable, Sendable, Equatable {
    public var id: String
    /// What the run's devices do: train, evaluate a version, or summarise their features.
    public var kind: RunKind
    /// The model trained or evaluated; empty for a statistics run over a bare feature width.
    public var model: String
    public var state: RoundState
    public var totalRounds: Int
    public var clients: Int
    public var minClients: Int
    public var localEpochs: Int
    public var learningRate: Double
    public var rounds: [RoundInfo]
    public var failureReason: String?
    public var createdAt: Date
    /// Whether the run combines updates by secure aggregation.
    public var secureAggregation: Bool
    /// The run's differential privacy, if any.
    public var privacy: PrivacyRequest?
    /// An evaluation run's result, once it has one.
    public var evaluation: FederatedEvaluation?
    /// A statistics run's feature profile, once registered.
    public var profile: ProfileReference?
    /// Where the current round stands; nil for runs from before stages were recorded.
    public var stage: RoundStage?

    public init(
        id: String, kind: RunKind = .train, model: String, state: RoundState, totalRounds: Int, clients: Int,
        minClients: Int, localEpochs: Int, learningRate: Double, rounds: [RoundInfo],
        failureReason: String?, createdAt: Date, secureAggregation: Bool, privacy: PrivacyRequest? = nil,
        evaluation: FederatedEvaluation? = nil, profile: ProfileReference? = nil, stage: RoundStage? = nil
    ) {
        self.stage = stage
        self.id = id
        self.kind = kind
        self.model = model
        self.state = state
        self.totalRounds = totalRounds
        self.clients = clients
        self.minClients = minClients
        self.localEpochs = localEpochs
        self.learningRate = learningRate
        self.rounds = rounds
        self.failureReason = failureReason
        self.createdAt = createdAt
        self.secureAggregation = secureAggregation
        self.privacy = privacy
        self.evaluation = evaluation
        self.profile = profile
    }
}

/// A device's instruction for one round of a run: train from `baseVersion` and upload the weight
/// delta (``RunKind/train``), evaluate `baseVersion` on its held-out samples (``RunKind/evaluate``),
/// or summarise its samples' features (``RunKind/statistics``).
///
/// A training upload is a safetensors body with the same tensor names and shapes as the model,
/// holding `trained - base`, and metadata keys from ``UpdateMetadataKey``. With
/// `secureAggregation` set, the contribution goes through SecAgg+ instead (see
/// ``SecureAggregationTask``). A device that cannot contribute reports why to
/// ``APIPath/deviceFailure(runId:round:)``.
public struct RoundTask: Codable, Sendable, Equatable {
    public var runId: String
    public var round: Int
    public var kind: RunKind
    /// The model trained or evaluated; empty for a statistics task over a bare feature width.
    public var model: String
    /// The version to start from or evaluate; 0 for a statistics task over a bare feature width.
    public var baseVersion: Int
    /// SHA-256 of the base version's fp32 artifact; empty when there is no base version.
    public var sha256: String
    public var localEpochs: Int
    public var learningRate: Double
    public var momentum: Double
    public var batchSize: Int
    public var deadline: Date
    public var seed: UInt64
    /// Set when the contribution goes through secure aggregation instead of a plain upload.
    public var secureAggregation: SecureAggregationTask?
    /// Set when the device must train or clip with differential privacy.
    public var privacy: PrivacyTask?
    /// Training safeguards and FedProx; nil keeps plain SGD (older aggregators send none).
    public var training: LocalTrainingSettings?
    /// What to summarise, for statistics tasks.
    public var statistics: StatisticsTask?
    /// Which windows to add up, for monitor tasks.
    public var monitor: MonitorTask?
    /// Which start of the round this task belongs to: a restarted aggregator that has to do a
    /// secure round again hands out the same round as a new attempt, and the device starts over.
    public var attempt: Int

    public init(
        runId: String, round: Int, kind: RunKind = .train, model: String, baseVersion: Int, sha256: String,
        localEpochs: Int, learningRate: Double, momentum: Double, batchSize: Int, deadline: Date,
        seed: UInt64, secureAggregation: SecureAggregationTask? = nil, privacy: PrivacyTask? = nil,
        training: LocalTrainingSettings? = nil, statistics: StatisticsTask? = nil, monitor: MonitorTask? = nil,
        attempt: Int = 1
    ) {
        self.monitor = monitor
        self.attempt = attempt
        self.runId = runId
        self.round = round
        self.kind = kind
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
        self.training = training
        self.statistics = statistics
    }
}

/// Local training settings beyond the optimiser's step size, momentum and batch: the guards that
/// keep a device's training from blowing up, and FedProx's proximal term.
public struct LocalTrainingSettings: Codable, Sendable, Equatable {
    /// Each mini-batch gradient is scaled down to this global L2 norm; nil for none.
    public var gradientClipNorm: Double?
    /// L2 penalty λ on the weights.
    public var weightDecay: Double
    /// FedProx μ: the proximal term μ/2·‖w − w_global‖² added to the local loss (Li et al. 2020).
    public var proximalMu: Double

    public init(gradientClipNorm: Double?, weightDecay: Double, proximalMu: Double) {
        self.gradientClipNorm = gradientClipNorm
        self.weightDecay = weightDecay
        self.proximalMu = proximalMu
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
    public var runId: String
    public var round: Int
    public var accepted: Bool

    public init(runId: String, round: Int, accepted: Bool) {
        self.runId = runId
        self.round = round
        self.accepted = accepted
    }
}
