import StarlingCore

/// An admin's request to run `rounds` consecutive federated training rounds on a model.
///
/// Every optional field has a default in ``RoundDefaults``, chosen so that a run with no tuning
/// learns dependably on the datasets of the quality benchmark (docs/quality.md).
public struct StartRunRequest: Codable, Sendable {
    public var model: String
    /// The version to start from; default the newest.
    public var baseVersion: Int?
    /// How many devices' updates make a round: it closes as soon as that many arrived.
    public var clients: Int
    /// Over-selection o: each round invites ⌈clients·(1 + o)⌉ devices and closes at `clients`
    /// updates, so stragglers and devices that drop off do not hold it; 0…1, default 0.
    public var overSelection: Double?
    /// The fewest updates a round accepts before its deadline.
    public var minClients: Int
    public var localEpochs: Int?
    /// The local learning rate at the peak of the schedule.
    public var learningRate: Double?
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
    /// With secure aggregation in mode sync: cohorts larger than this are split into groups of at
    /// least this many devices, each running SecAgg+ with its own neighbour graph and threshold;
    /// the aggregator adds the group sums. Default: one group, the whole cohort.
    public var secureAggregationGroupSize: Int?
    /// With secure aggregation: how long each SecAgg+ stage after key advertising waits for devices
    /// before going on without them, in seconds; default a quarter of the deadline, 2 to 30.
    public var secureAggregationStageSeconds: Double?
    /// With secure aggregation: a stage after key advertising that has heard, in every group, from
    /// halfway between its threshold and all its devices closes once no device has answered for
    /// this long, in seconds, without waiting out its stage time for the devices still silent;
    /// default a tenth of the stage time, at least half a second. At least the stage time turns the
    /// early close off.
    public var secureAggregationQuietSeconds: Double?
    /// The quiet times an aggregator takes, in seconds.
    public static let secureAggregationQuietSecondsRange: ClosedRange<Double> = 0.1...600
    /// Differential privacy for the run; none by default.
    public var privacy: PrivacyRequest?
    /// How the local learning rate moves across the run's rounds.
    public var learningRateSchedule: LearningRateSchedule?
    /// Global L2 norm each local mini-batch gradient is clipped to; 0 turns clipping off.
    public var gradientClipNorm: Double?
    /// L2 penalty on the weights in local training.
    public var weightDecay: Double?
    /// FedProx μ (Li et al. 2020); 0 is plain local SGD.
    public var proximalMu: Double?
    /// The server optimizer that steps on the aggregated update.
    public var serverOptimizer: ServerOptimizerConfiguration?
    /// How plain updates are combined: the weighted mean, or a robust rule (needs plain updates).
    public var aggregation: AggregationRule?
    /// Evaluate the version made every K rounds (and the last) on the devices' held-out samples.
    public var evaluateEvery: Int?
    /// `sync` (the default): each round's cohort trains from the same version. `async`: buffered
    /// asynchronous aggregation (FedBuff): up to `clients` devices train at any time, each from the
    /// newest version when it starts, and every `buffer` updates make the next version.
    public var mode: RunMode?
    /// Async runs: the updates that make a version.
    public var buffer: Int?
    /// Async runs: how many versions behind its base an update may be and still count (default 4).
    public var maxStaleness: Int?
    /// Sync runs: seconds each device of a cohort has to answer once its task is out; past it, a
    /// round holding `min_clients` updates closes without the devices still silent. Default: the
    /// whole deadline.
    public var deviceTimeoutSeconds: Double?

    public init(
        model: String, baseVersion: Int? = nil, clients: Int, minClients: Int, localEpochs: Int? = nil,
        learningRate: Double? = nil, momentum: Double? = nil, batchSize: Int? = nil, rounds: Int,
        deadlineSeconds: Double? = nil, selector: DeviceSelector? = nil, seed: UInt64? = nil,
        secureAggregation: Bool? = nil, secureAggregationThreshold: Int? = nil, secureAggregationGroupSize: Int? = nil,
        secureAggregationStageSeconds: Double? = nil, secureAggregationQuietSeconds: Double? = nil,
        privacy: PrivacyRequest? = nil,
        learningRateSchedule: LearningRateSchedule? = nil, gradientClipNorm: Double? = nil,
        weightDecay: Double? = nil, proximalMu: Double? = nil, serverOptimizer: ServerOptimizerConfiguration? = nil,
        aggregation: AggregationRule? = nil, evaluateEvery: Int? = nil, overSelection: Double? = nil,
        mode: RunMode? = nil, buffer: Int? = nil, maxStaleness: Int? = nil, deviceTimeoutSeconds: Double? = nil
    ) {
        self.deviceTimeoutSeconds = deviceTimeoutSeconds
        self.mode = mode
        self.buffer = buffer
        self.maxStaleness = maxStaleness
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
        self.secureAggregationGroupSize = secureAggregationGroupSize
        self.secureAggregationStageSeconds = secureAggregationStageSeconds
        self.secureAggregationQuietSeconds = secureAggregationQuietSeconds
        self.privacy = privacy
        self.learningRateSchedule = learningRateSchedule
        self.gradientClipNorm = gradientClipNorm
        self.weightDecay = weightDecay
        self.proximalMu = proximalMu
        self.serverOptimizer = serverOptimizer
        self.aggregation = aggregation
        self.evaluateEvery = evaluateEvery
        self.overSelection = overSelection
    }
}

/// How a training run's rounds follow one another.
public enum RunMode: String, Codable, Sendable, CaseIterable {
    /// Each round's cohort trains from the same version, and the round closes at `clients` updates.
    case sync
    /// Buffered asynchronous aggregation (FedBuff): devices train whenever they can and every
    /// `buffer` updates, each weighted by 1/√(1 + staleness), make the next version.
    case async
}
