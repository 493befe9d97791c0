import Privacy
import StarlingCore
import StarlingProtocol

/// A validated run request with every default filled in: what a run does, stored with it.
///
/// Training runs come from a ``StartRunRequest``, evaluation runs from an ``EvaluateRequest``
/// (one round, `baseVersion` the version evaluated) and statistics runs from a
/// ``CollectStatisticsRequest`` (one round, `statistics` set). Plans stored before run kinds
/// existed decode as training plans with the settings runs had then.
struct RunPlan: Codable, Sendable, Equatable {
    var kind: RunKind
    var model: String
    var baseVersion: Int?
    /// The updates that close a round.
    var clients: Int
    var minClients: Int
    /// Devices invited beyond `clients`, as a fraction of it (0 for none).
    var overSelection: Double
    var localEpochs: Int
    var learningRate: Double
    var momentum: Double
    var batchSize: Int
    var rounds: Int
    var deadlineSeconds: Double
    var selector: DeviceSelector
    var seed: UInt64
    /// Set when contributions go through secure aggregation; nil for plain uploads.
    var secureAggregation: SecureAggregationPlan?
    /// Differential privacy for the run, with the clipping norm filled in; nil for none.
    var privacy: PrivacyRequest?
    /// Central and distributed privacy: the noise multiplier σ of each round, calibrated so the
    /// run's rounds together cost the requested user-level (ε, δ). Each round is a Gaussian
    /// mechanism on the sum of clipped updates; no amplification by cohort sampling is claimed,
    /// since cohorts are drawn from the devices online, not by Poisson sampling of the population.
    var noiseMultiplier: Double?
    /// How the local learning rate moves across the rounds.
    var learningRateSchedule: LearningRateSchedule
    /// Gradient clipping, weight decay and FedProx for the devices' training.
    var training: LocalTrainingSettings
    /// The optimizer that steps on each round's aggregate.
    var serverOptimizer: ServerOptimizerConfiguration
    /// How plain updates are combined.
    var aggregation: AggregationRule
    /// Evaluate every K-th version (and the last) with an evaluation run; nil for never.
    var evaluateEvery: Int?
    /// A statistics run's profile name, width and histogram grid.
    var statistics: StatisticsPlan?
    /// A monitor run's version, span and window shape.
    var monitor: MonitorTask?
    /// The training run an evaluation run was started for.
    var parentRunId: String?
    /// Buffered asynchronous aggregation (FedBuff); nil for rounds one cohort at a time.
    var buffering: RunMachine.Buffering?
    /// Seconds each device of a cohort has to answer; nil for the whole deadline.
    var deviceTimeoutSeconds: Double?
    /// The only devices that may take part (on top of `selector`); nil for any.
    var devices: Set<String>?
    /// The monitor alert that started the run, named in the lineage of the versions it makes.
    var trigger: RetrainTrigger?

    /// Settings runs had before they were configurable: plain momentum SGD, FedAvg, the mean.
    static let legacyTraining = LocalTrainingSettings(gradientClipNorm: nil, weightDecay: 0, proximalMu: 0)

    /// Checks a training request; a bad field is 400 `invalid_run` naming it.
    init(validating request: StartRunRequest, defaultDeadline: Double, seed: UInt64) throws(APIError) {
        let check = Self.check
        try check((1...10_000).contains(request.clients), "clients must be 1…10000")
        try check(request.minClients >= 1 && request.minClients <= request.clients, "min_clients must be 1…clients")
        let localEpochs = request.localEpochs ?? RoundDefaults.localEpochs
        try check((1...1000).contains(localEpochs), "local_epochs must be 1…1000")
        let learningRate = request.learningRate ?? RoundDefaults.learningRate
        try check(learningRate.isFinite && learningRate > 0 && learningRate <= 100, "learning_rate must be in (0, 100]")
        let momentum = request.momentum ?? RoundDefaults.momentum
        try check(momentum.isFinite && (0..<1).contains(momentum), "momentum must be in [0, 1)")
        let batchSize = request.batchSize ?? RoundDefaults.batchSize
        try check((1...65_536).contains(batchSize), "batch_size must be 1…65536")
        try check((1...10_000).contains(request.rounds), "rounds must be 1…10000")
        let deadline = request.deadlineSeconds ?? defaultDeadline
        try check(deadline.isFinite && deadline > 0 && deadline <= 86_400, "deadline_seconds must be in (0, 86400]")
        if let base = request.baseVersion { try check(base >= 1, "base_version must be at least 1") }
        if let threshold = request.secureAggregationThreshold {
            try check(request.secureAggregation ?? true, "secure_aggregation_threshold needs secure aggregation")
            try check((1...request.clients).contains(threshold), "secure_aggregation_threshold must be 1…clients")
        }
        if let groupSize = request.secureAggregationGroupSize {
            try check(request.secureAggregation ?? true, "secure_aggregation_group_size needs secure aggregation")
            try check(
                request.mode != .async,
                "secure_aggregation_group_size has no meaning in mode async: each buffer is a group of buffer devices")
            try check(
                (SecureAggregationPlan.smallestGroup...10_000).contains(groupSize),
                "secure_aggregation_group_size must be \(SecureAggregationPlan.smallestGroup)…10000")
        }
        if let stageSeconds = request.secureAggregationStageSeconds {
            try check(request.secureAggregation ?? true, "secure_aggregation_stage_seconds needs secure aggregation")
            try check(
                stageSeconds.isFinite && (1...600).contains(stageSeconds),
                "secure_aggregation_stage_seconds must be in [1, 600]")
        }
        if let quietSeconds = request.secureAggregationQuietSeconds {
            try check(request.secureAggregation ?? true, "secure_aggregation_quiet_seconds needs secure aggregation")
            try check(
                quietSeconds.isFinite && StartRunRequest.secureAggregationQuietSecondsRange.contains(quietSeconds),
                "secure_aggregation_quiet_seconds must be in [0.1, 600]")
        }
        let overSelection = request.overSelection ?? 0
        try check(overSelection.isFinite && (0...1).contains(overSelection), "over_selection must be in [0, 1]")
        try check(
            Self.invited(clients: request.clients, overSelection: overSelection) <= 10_000,
            "clients × (1 + over_selection) must be at most 10000")
        let secure = request.secureAggregation ?? true
        self.init(
            kind: .train, model: request.model, baseVersion: request.baseVersion, clients: request.clients,
            minClients: request.minClients, rounds: request.rounds, deadlineSeconds: deadline,
            selector: request.selector ?? .all, seed: request.seed ?? seed,
            secureAggregation: secure
                ? SecureAggregationPlan(
                    threshold: request.secureAggregationThreshold, deadlineSeconds: deadline,
                    groupSize: request.secureAggregationGroupSize,
                    stageSeconds: request.secureAggregationStageSeconds,
                    quietSeconds: request.secureAggregationQuietSeconds) : nil)
        self.localEpochs = localEpochs
        self.learningRate = learningRate
        self.momentum = momentum
        self.batchSize = batchSize
        self.overSelection = overSelection
        try validateTraining(request)
        if let privacy = request.privacy { try validatePrivacy(privacy) }
        try validateAggregation(request.aggregation ?? .mean)
        try validateBuffering(request)
        if let timeout = request.deviceTimeoutSeconds {
            try check(
                timeout.isFinite && timeout > 0 && timeout <= deadline,
                "device_timeout_seconds must be in (0, deadline_seconds]")
            try check(
                buffering == nil, "device_timeout_seconds has no meaning in mode async: each task has the deadline")
            deviceTimeoutSeconds = timeout
        }
    }

    /// `mode: async` takes `buffer` (1…10000, at least `min_clients`) and `max_staleness` (0…100,
    /// default 4); `buffer` and `max_staleness` need async. Under secure aggregation each buffer is a
    /// group of `buffer` devices, so `clients` (the devices training at once) holds at least one.
    private mutating func validateBuffering(_ request: StartRunRequest) throws(APIError) {
        guard request.mode == .async else {
            try Self.check(
                request.buffer == nil && request.maxStaleness == nil, "buffer and max_staleness need mode async")
            return
        }
        guard let size = request.buffer else { throw .badRequest(.invalidRun, "mode async needs buffer") }
        try Self.check((1...10_000).contains(size), "buffer must be 1…10000")
        try Self.check(minClients <= size, "min_clients must be at most buffer in mode async")
        let maxStaleness = request.maxStaleness ?? 4
        try Self.check((0...100).contains(maxStaleness), "max_staleness must be 0…100")
        try Self.check(
            secureAggregation == nil || clients >= size,
            "clients must be at least buffer in a secure async run: each buffer is a secure-aggregation group of buffer devices"
        )
        try Self.check(
            overSelection == 0, "over_selection has no meaning in mode async: clients is how many train at once")
        buffering = RunMachine.Buffering(size: size, maxStaleness: maxStaleness)
    }

    /// Checks an evaluation request for `version`, which must exist already.
    init(validating request: EvaluateRequest, version: Int, defaultDeadline: Double, seed: UInt64) throws(APIError) {
        let secure = request.secureAggregation ?? true
        let (clients, minClients, deadline) = try Self.cohort(
            clients: request.clients, minClients: request.minClients, defaultClients: 100,
            defaultMinimum: secure ? 3 : 1, deadlineSeconds: request.deadlineSeconds, defaultDeadline: defaultDeadline)
        self.init(
            kind: .evaluate, model: request.model, baseVersion: version, clients: clients, minClients: minClients,
            rounds: 1, deadlineSeconds: deadline, selector: request.selector ?? .all, seed: request.seed ?? seed,
            secureAggregation: secure ? SecureAggregationPlan(threshold: nil, deadlineSeconds: deadline) : nil)
    }

    /// A monitor run: `devices` (which run `model`@`version`) add up their windows of `task` under
    /// SecAgg+, in one round that keeps a sum of at least `minimumDevices` of them.
    init(
        monitor task: MonitorTask, model: String, version: Int, devices: Set<String>, minimumDevices: Int,
        deadlineSeconds: Double, seed: UInt64
    ) {
        self.init(
            kind: .monitor, model: model, baseVersion: version, clients: devices.count,
            minClients: min(devices.count, minimumDevices), rounds: 1, deadlineSeconds: deadlineSeconds,
            selector: .all, seed: seed,
            secureAggregation: SecureAggregationPlan(threshold: nil, deadlineSeconds: deadlineSeconds))
        self.devices = devices
        monitor = task
    }

    /// Checks a statistics request whose feature width is `width` (given, or the model's input);
    /// fewer than `minimumDevices` is 400 `cohort_too_small`.
    init(
        validating request: CollectStatisticsRequest, width: Int, model: String, minimumDevices: Int,
        defaultDeadline: Double, seed: UInt64
    ) throws(APIError) {
        let minimum = request.minDevices ?? minimumDevices
        guard minimum >= minimumDevices else {
            throw .badRequest(
                .cohortTooSmall,
                "a statistics collection needs at least \(minimumDevices) devices: a smaller cohort would reveal individual devices' data"
            )
        }
        try Self.check(
            (1...StatisticsPlan.maximumWidth).contains(width), "width must be 1…\(StatisticsPlan.maximumWidth)")
        let (clients, minClients, deadline) = try Self.cohort(
            clients: request.clients, minClients: minimum, defaultClients: 1000, defaultMinimum: minimum,
            deadlineSeconds: request.deadlineSeconds, defaultDeadline: defaultDeadline)
        try Self.check(
            clients <= StatisticsPlan.maximumDevices, "clients must be at most \(StatisticsPlan.maximumDevices)")
        self.init(
            kind: .statistics, model: model, baseVersion: nil, clients: clients, minClients: minClients, rounds: 1,
            deadlineSeconds: deadline, selector: request.selector ?? .all, seed: request.seed ?? seed,
            secureAggregation: (request.secureAggregation ?? true)
                ? SecureAggregationPlan(threshold: nil, deadlineSeconds: deadline) : nil)
        statistics = StatisticsPlan(name: request.name, width: width, grid: .standard)
    }

    private init(
        kind: RunKind, model: String, baseVersion: Int?, clients: Int, minClients: Int, rounds: Int,
        deadlineSeconds: Double, selector: DeviceSelector, seed: UInt64, secureAggregation: SecureAggregationPlan?
    ) {
        self.kind = kind
        self.model = model
        self.baseVersion = baseVersion
        self.clients = clients
        self.minClients = minClients
        self.overSelection = 0
        self.localEpochs = RoundDefaults.localEpochs
        self.learningRate = RoundDefaults.learningRate
        self.momentum = RoundDefaults.momentum
        self.batchSize = RoundDefaults.batchSize
        self.rounds = rounds
        self.deadlineSeconds = deadlineSeconds
        self.selector = selector
        self.seed = seed
        self.secureAggregation = secureAggregation
        self.learningRateSchedule = RoundDefaults.learningRateSchedule
        self.training = LocalTrainingSettings(
            gradientClipNorm: RoundDefaults.gradientClipNorm, weightDecay: RoundDefaults.weightDecay,
            proximalMu: RoundDefaults.proximalMu)
        self.serverOptimizer = RoundDefaults.serverOptimizer
        self.aggregation = .mean
    }

    private mutating func validateTraining(_ request: StartRunRequest) throws(APIError) {
        let check = Self.check
        let clip = request.gradientClipNorm ?? RoundDefaults.gradientClipNorm
        try check(clip.isFinite && (0...1e6).contains(clip), "gradient_clip_norm must be in [0, 1e6] (0 turns it off)")
        let decay = request.weightDecay ?? RoundDefaults.weightDecay
        try check(decay.isFinite && (0..<1).contains(decay), "weight_decay must be in [0, 1)")
        let mu = request.proximalMu ?? RoundDefaults.proximalMu
        try check(mu.isFinite && (0...1000).contains(mu), "proximal_mu must be in [0, 1000]")
        training = LocalTrainingSettings(gradientClipNorm: clip > 0 ? clip : nil, weightDecay: decay, proximalMu: mu)
        let schedule = request.learningRateSchedule ?? RoundDefaults.learningRateSchedule
        do {
            _ = try schedule.learningRate(base: learningRate, round: 1, totalRounds: rounds)
        } catch {
            throw .badRequest(.invalidRun, "learning_rate_schedule: \(error)")
        }
        learningRateSchedule = schedule
        do {
            serverOptimizer = try (request.serverOptimizer ?? RoundDefaults.serverOptimizer).validated()
        } catch {
            throw .badRequest(.invalidRun, "server_optimizer: \(error)")
        }
        if let every = request.evaluateEvery {
            try check((1...10_000).contains(every), "evaluate_every must be 1…10000")
            evaluateEvery = every
        }
    }

    private mutating func validatePrivacy(_ request: PrivacyRequest) throws(APIError) {
        let check = Self.check
        var privacy = request
        try check(privacy.epsilon.isFinite && privacy.epsilon > 0, "privacy.epsilon must be a positive number")
        try check(privacy.delta > 0 && privacy.delta < 1, "privacy.delta must be in (0, 1)")
        let clipNorm = privacy.clipNorm ?? 1
        try check(clipNorm.isFinite && clipNorm > 0, "privacy.clip_norm must be a positive number")
        if privacy.mode == .distributed, secureAggregation == nil {
            throw .badRequest(
                .privacyNeedsSecureAggregation,
                "distributed privacy adds each device's share of the noise under secure aggregation; drop secure_aggregation: false or use central"
            )
        }
        privacy.clipNorm = clipNorm
        self.privacy = privacy
        if privacy.mode.isUserLevel {
            do {
                noiseMultiplier = try NoiseCalibration.noiseMultiplier(
                    samplingRate: 1, steps: rounds, epsilon: privacy.epsilon, delta: privacy.delta)
            } catch {
                throw .badRequest(.invalidRun, "privacy cannot be calibrated: \(error.description)")
            }
        }
    }

    /// Robust rules need each device's update, which secure aggregation hides by design, and
    /// user-level noise is calibrated for the mean.
    private mutating func validateAggregation(_ rule: AggregationRule) throws(APIError) {
        do {
            _ = try rule.validated()
        } catch {
            throw .badRequest(.invalidRun, "aggregation: \(error)")
        }
        if rule != .mean {
            guard secureAggregation == nil else {
                throw .badRequest(
                    .aggregationNeedsPlainUpdates,
                    "\(rule) needs every device's own update, which secure aggregation hides from the aggregator; add secure_aggregation: false (--no-secagg) or use the mean"
                )
            }
            guard userLevelPrivacy == nil else {
                throw .badRequest(
                    .aggregationNeedsPlainUpdates,
                    "user-level privacy noise is calibrated for the mean of clipped updates; \(rule) cannot be combined with it"
                )
            }
        }
        aggregation = rule
    }

    private static func check(_ condition: Bool, _ message: String) throws(APIError) {
        if !condition { throw .badRequest(.invalidRun, message) }
    }

    /// Cohort size, minimum and deadline of a one-round run, with defaults and bounds.
    private static func cohort(
        clients: Int?, minClients: Int?, defaultClients: Int, defaultMinimum: Int, deadlineSeconds: Double?,
        defaultDeadline: Double
    ) throws(APIError) -> (clients: Int, minClients: Int, deadline: Double) {
        let minimum = minClients ?? defaultMinimum
        let clients = clients ?? max(defaultClients, minimum)
        try check((1...10_000).contains(clients), "clients must be 1…10000")
        try check(minimum >= 1 && minimum <= clients, "min_clients must be 1…clients")
        let deadline = deadlineSeconds ?? defaultDeadline
        try check(deadline.isFinite && deadline > 0 && deadline <= 86_400, "deadline_seconds must be in (0, 86400]")
        return (clients, minimum, deadline)
    }

    /// What each device of the run is told about privacy.
    var privacyTask: PrivacyTask? {
        privacy.map {
            PrivacyTask(
                mode: $0.mode, epsilon: $0.epsilon, delta: $0.delta, clipNorm: $0.clipNorm ?? 1, rounds: rounds,
                noiseMultiplier: noiseMultiplier)
        }
    }

    /// The local learning rate of round `round` (1-based); the schedule was checked against the
    /// run's rounds when the plan was made.
    func learningRate(round: Int) -> Double {
        (try? learningRateSchedule.learningRate(base: learningRate, round: round, totalRounds: rounds))
            ?? learningRate
    }

    /// The seed of a run asked for without one: below 2^32, so the task seeds derived from it stay
    /// whole numbers every JSON reader keeps exactly.
    static func randomSeed() -> UInt64 { UInt64.random(in: 0..<(1 << 32)) }

    /// How many devices a round invites: ⌈clients·(1 + overSelection)⌉.
    static func invited(clients: Int, overSelection: Double) -> Int {
        Int((Double(clients) * (1 + overSelection)).rounded(.up))
    }

    /// Whether a device with `tags` may take part.
    func admits(_ device: String, tags: [Tag]) -> Bool {
        selector.matches(tags) && devices.map { $0.contains(device) } ?? true
    }

    /// How many devices each round of this plan invites.
    var invited: Int { Self.invited(clients: clients, overSelection: overSelection) }

    private enum CodingKeys: String, CodingKey {
        case overSelection
        case kind, model, baseVersion, clients, minClients, localEpochs, learningRate, momentum, batchSize, rounds
        case deadlineSeconds, selector, seed, secureAggregation, privacy, noiseMultiplier, learningRateSchedule
        case training, serverOptimizer, aggregation, evaluateEvery, statistics, parentRunId, buffering, monitor
        case deviceTimeoutSeconds, devices, trigger
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(RunKind.self, forKey: .kind) ?? .train
        model = try c.decode(String.self, forKey: .model)
        baseVersion = try c.decodeIfPresent(Int.self, forKey: .baseVersion)
        clients = try c.decode(Int.self, forKey: .clients)
        minClients = try c.decode(Int.self, forKey: .minClients)
        overSelection = try c.decodeIfPresent(Double.self, forKey: .overSelection) ?? 0
        localEpochs = try c.decode(Int.self, forKey: .localEpochs)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        momentum = try c.decode(Double.self, forKey: .momentum)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        rounds = try c.decode(Int.self, forKey: .rounds)
        deadlineSeconds = try c.decode(Double.self, forKey: .deadlineSeconds)
        selector = try c.decode(DeviceSelector.self, forKey: .selector)
        seed = try c.decode(UInt64.self, forKey: .seed)
        secureAggregation = try c.decodeIfPresent(SecureAggregationPlan.self, forKey: .secureAggregation)
        privacy = try c.decodeIfPresent(PrivacyRequest.self, forKey: .privacy)
        noiseMultiplier = try c.decodeIfPresent(Double.self, forKey: .noiseMultiplier)
        learningRateSchedule =
            try c.decodeIfPresent(LearningRateSchedule.self, forKey: .learningRateSchedule) ?? .constant
        training = try c.decodeIfPresent(LocalTrainingSettings.self, forKey: .training) ?? Self.legacyTraining
        serverOptimizer =
            try c.decodeIfPresent(ServerOptimizerConfiguration.self, forKey: .serverOptimizer)
            ?? .defaults(for: .fedavg)
        aggregation = try c.decodeIfPresent(AggregationRule.self, forKey: .aggregation) ?? .mean
        evaluateEvery = try c.decodeIfPresent(Int.self, forKey: .evaluateEvery)
        statistics = try c.decodeIfPresent(StatisticsPlan.self, forKey: .statistics)
        monitor = try c.decodeIfPresent(MonitorTask.self, forKey: .monitor)
        parentRunId = try c.decodeIfPresent(String.self, forKey: .parentRunId)
        buffering = try c.decodeIfPresent(RunMachine.Buffering.self, forKey: .buffering)
        deviceTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .deviceTimeoutSeconds)
        devices = try c.decodeIfPresent(Set<String>.self, forKey: .devices)
        trigger = try c.decodeIfPresent(RetrainTrigger.self, forKey: .trigger)
    }
}

/// What a statistics run collects: the profile's name, the feature width and the histogram grid.
struct StatisticsPlan: Codable, Sendable, Equatable {
    /// Widest feature vector a collection summarises: each feature takes 259 words of a device's
    /// secure vector (16,384 features make about 17 MB), which must fit a request body.
    static let maximumWidth = 16_384
    /// Largest cohort whose statistics words cannot wrap when summed (see ``FeatureStatisticsLayout``).
    static let maximumDevices = 4096

    var name: String
    var width: Int
    var grid: LogBucketGrid
}

/// How an round's secure aggregation is set up once its cohort is known.
struct SecureAggregationPlan: Codable, Sendable, Equatable {
    /// The fewest devices that must stay to the end; nil for the default of the cohort.
    var threshold: Int?
    /// Weighted deltas are clipped to ±clippingRange before encoding.
    var clippingRange: Float
    /// Devices' sample counts are divided by this (and capped at 1) to weight their deltas.
    var weightCap: Int
    /// How long each stage after the first waits for devices.
    var stageSeconds: Double
    /// The quiet time asked for (``quietWaitSeconds``); nil for the default.
    var quietSeconds: Double?
    /// Cohorts of more devices are split into groups of at least this many, each running SecAgg+
    /// on its own; nil for one group.
    var groupSize: Int?
    /// The smallest group a cohort may be split into: the aggregator learns each group's sum.
    static let smallestGroup = 3

    /// How long a stage after key advertising that has heard, in every group, from halfway between
    /// its threshold and all its devices waits for one more answer before it closes without the
    /// devices still silent: as asked, else a tenth of the stage time, at least half a second.
    var quietWaitSeconds: Double { quietSeconds ?? max(0.5, stageSeconds / 10) }

    init(
        threshold: Int?, deadlineSeconds: Double, groupSize: Int? = nil, stageSeconds: Double? = nil,
        quietSeconds: Double? = nil
    ) {
        self.threshold = threshold
        self.groupSize = groupSize
        self.quietSeconds = quietSeconds
        clippingRange = 1
        weightCap = SecureMetricsLayout.weightCap
        self.stageSeconds = stageSeconds ?? min(30, max(2, deadlineSeconds / 4))
    }

    /// The threshold for a cohort of `cohort` devices: the one asked for, else the larger of
    /// `minClients` and a strict majority, never above the cohort.
    func threshold(cohort: Int, minClients: Int) -> Int {
        min(cohort, threshold ?? max(minClients, cohort / 2 + 1))
    }

    /// The cohort's positions split into ⌊cohort / groupSize⌋ groups of consecutive positions (one
    /// group without a group size, or for a smaller cohort), sizes differing by at most one, so none
    /// is below the group size.
    func groups(cohort: Int) -> [Range<Int>] {
        let count = max(1, cohort / max(1, groupSize ?? cohort))
        let (size, larger) = cohort.quotientAndRemainder(dividingBy: count)
        return (0..<count).map { group in
            let start = group * size + min(group, larger)
            return start..<(start + size + (group < larger ? 1 : 0))
        }
    }

    /// The threshold of a group of `size` of a cohort's devices: the same share of the group as the
    /// cohort's threshold is of the cohort, rounded up.
    func threshold(group size: Int, cohort: Int, minClients: Int) -> Int {
        let cohortThreshold = threshold(cohort: cohort, minClients: minClients)
        return max(1, min(size, (cohortThreshold * size + cohort - 1) / max(1, cohort)))
    }
}
