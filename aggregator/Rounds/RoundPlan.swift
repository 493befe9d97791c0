import Privacy
import StarlingProtocol

/// A validated ``StartRoundRequest`` with every default filled in: what a run does, stored with it.
struct RoundPlan: Codable, Sendable, Equatable {
    var model: String
    var baseVersion: Int?
    var clients: Int
    var minClients: Int
    var localEpochs: Int
    var learningRate: Double
    var momentum: Double
    var batchSize: Int
    var rounds: Int
    var deadlineSeconds: Double
    var selector: DeviceSelector
    var seed: UInt64
    /// Set when updates go through secure aggregation; nil for plain FedAvg over stored updates.
    var secureAggregation: SecureAggregationPlan?
    /// Differential privacy for the run, with the clipping norm filled in; nil for none.
    var privacy: PrivacyRequest?
    /// Central and distributed privacy: the noise multiplier σ of each round, calibrated so the
    /// run's rounds together cost the requested user-level (ε, δ). Each round is a Gaussian
    /// mechanism on the sum of clipped updates; no amplification by cohort sampling is claimed,
    /// since cohorts are drawn from the devices online, not by Poisson sampling of the population.
    var noiseMultiplier: Double?

    /// Checks `request`; a bad field is 400 `invalid_round` naming it.
    init(validating request: StartRoundRequest, defaultDeadline: Double, seed: UInt64) throws(APIError) {
        func check(_ condition: Bool, _ message: String) throws(APIError) {
            if !condition { throw .badRequest("invalid_round", message) }
        }
        try check((1...10_000).contains(request.clients), "clients must be 1…10000")
        try check(request.minClients >= 1 && request.minClients <= request.clients, "min_clients must be 1…clients")
        try check((1...1000).contains(request.localEpochs), "local_epochs must be 1…1000")
        try check(request.learningRate.isFinite && request.learningRate > 0, "learning_rate must be a positive number")
        let momentum = request.momentum ?? 0
        try check(momentum.isFinite && (0..<1).contains(momentum), "momentum must be in [0, 1)")
        let batchSize = request.batchSize ?? 32
        try check((1...65_536).contains(batchSize), "batch_size must be 1…65536")
        try check((1...10_000).contains(request.rounds), "rounds must be 1…10000")
        let deadline = request.deadlineSeconds ?? defaultDeadline
        try check(deadline.isFinite && deadline > 0 && deadline <= 86_400, "deadline_seconds must be in (0, 86400]")
        if let base = request.baseVersion { try check(base >= 1, "base_version must be at least 1") }
        if let threshold = request.secureAggregationThreshold {
            try check(request.secureAggregation ?? true, "secure_aggregation_threshold needs secure aggregation")
            try check((1...request.clients).contains(threshold), "secure_aggregation_threshold must be 1…clients")
        }
        self.model = request.model
        self.baseVersion = request.baseVersion
        self.clients = request.clients
        self.minClients = request.minClients
        self.localEpochs = request.localEpochs
        self.learningRate = request.learningRate
        self.momentum = momentum
        self.batchSize = batchSize
        self.rounds = request.rounds
        self.deadlineSeconds = deadline
        self.selector = request.selector ?? .all
        self.seed = request.seed ?? seed
        self.secureAggregation =
            request.secureAggregation ?? true
            ? SecureAggregationPlan(threshold: request.secureAggregationThreshold, deadlineSeconds: deadline) : nil
        if var privacy = request.privacy {
            try check(privacy.epsilon.isFinite && privacy.epsilon > 0, "privacy.epsilon must be a positive number")
            try check(privacy.delta > 0 && privacy.delta < 1, "privacy.delta must be in (0, 1)")
            let clipNorm = privacy.clipNorm ?? 1
            try check(clipNorm.isFinite && clipNorm > 0, "privacy.clip_norm must be a positive number")
            if privacy.mode == .distributed, secureAggregation == nil {
                throw .badRequest(
                    "privacy_needs_secure_aggregation",
                    "distributed privacy adds each device's share of the noise under secure aggregation; drop secure_aggregation: false or use central")
            }
            privacy.clipNorm = clipNorm
            self.privacy = privacy
            if privacy.mode.isUserLevel {
                do {
                    noiseMultiplier = try NoiseCalibration.noiseMultiplier(
                        samplingRate: 1, steps: request.rounds, epsilon: privacy.epsilon, delta: privacy.delta)
                } catch {
                    throw .badRequest("invalid_round", "privacy cannot be calibrated: \(error.description)")
                }
            }
        }
    }

    /// What each device of the run is told about privacy.
    var privacyTask: PrivacyTask? {
        privacy.map {
            PrivacyTask(
                mode: $0.mode, epsilon: $0.epsilon, delta: $0.delta, clipNorm: $0.clipNorm ?? 1, rounds: rounds,
                noiseMultiplier: noiseMultiplier)
        }
    }
}

/// How an iteration's secure aggregation is set up once its cohort is known.
struct SecureAggregationPlan: Codable, Sendable, Equatable {
    /// The fewest devices that must stay to the end; nil for the default of the cohort.
    var threshold: Int?
    /// Weighted deltas are clipped to ±clippingRange before encoding.
    var clippingRange: Float
    /// Devices' sample counts are divided by this (and capped at 1) to weight their deltas.
    var weightCap: Int
    /// How long each stage after the first waits for devices.
    var stageSeconds: Double

    init(threshold: Int?, deadlineSeconds: Double) {
        self.threshold = threshold
        clippingRange = 1
        weightCap = 10_000
        stageSeconds = min(30, max(2, deadlineSeconds / 4))
    }

    /// The threshold for a cohort of `cohort` devices: the one asked for, else the larger of
    /// `minClients` and a strict majority, never above the cohort.
    func threshold(cohort: Int, minClients: Int) -> Int {
        min(cohort, threshold ?? max(minClients, cohort / 2 + 1))
    }
}
