/// What a device needs to take part in one secure aggregation: the parameters every party derives
/// the protocol from, and its own place in the cohort.
///
/// A training device's contribution is one vector of `vectorLength` values: its weighted delta
/// `a·(trained − base)` in the model's flat parameter order, then its figures as
/// ``SecureMetricsLayout`` lays them out, with `a` its train sample count divided by `weightCap`
/// (capped at 1). The aggregator divides the sums to get the weighted average and the metrics. An
/// evaluating device sends its evaluation figures alone; a device summarising its features sends
/// the raw words of its statistics (see ``StatisticsTask``).
///
/// Under user-level differential privacy (`encodingScale` set) the vector is the device's clipped
/// delta alone, unweighted and without metrics, each value times `encodingScale`, rounded
/// stochastically and written in two's complement modulo 2^32, so integer noise can ride along.
public struct SecureAggregationTask: Codable, Sendable, Equatable {
    /// Names this aggregation in every key and message: `<round>-<round>`.
    public var sessionId: String
    /// The device's index in the cohort, 0-based.
    public var client: Int
    public var clientCount: Int
    public var threshold: Int
    public var neighbourCount: Int
    public var graphSeed: UInt64
    public var vectorLength: Int
    public var clippingRange: Float
    /// Sample counts are divided by this, and capped at 1, to weight the device's contribution.
    public var weightCap: Int
    /// How long each protocol stage after the first waits for devices, in seconds.
    public var stageSeconds: Double
    /// Integer units per unit of the clipped delta under user-level privacy; nil for the weighted layout.
    public var encodingScale: Double?
    /// When the cohort is split into groups that each run SecAgg+ and the aggregator adds their
    /// sums: the cohort's size, which the encoding leaves room for; nil when the session is the
    /// whole cohort.
    public var summandLimit: Int?

    public init(
        sessionId: String, client: Int, clientCount: Int, threshold: Int, neighbourCount: Int, graphSeed: UInt64,
        vectorLength: Int, clippingRange: Float, weightCap: Int, stageSeconds: Double, encodingScale: Double? = nil,
        summandLimit: Int? = nil
    ) {
        self.sessionId = sessionId
        self.client = client
        self.clientCount = clientCount
        self.threshold = threshold
        self.neighbourCount = neighbourCount
        self.graphSeed = graphSeed
        self.vectorLength = vectorLength
        self.clippingRange = clippingRange
        self.weightCap = weightCap
        self.stageSeconds = stageSeconds
        self.encodingScale = encodingScale
        self.summandLimit = summandLimit
    }
}

/// The aggregator's acknowledgement of a secure-aggregation stage message.
public struct SecureAggregationReceipt: Codable, Sendable, Equatable {
    public var stage: String
    public var accepted: Bool

    public init(stage: String, accepted: Bool) {
        self.stage = stage
        self.accepted = accepted
    }
}
