/// One prediction request: raw (unstandardised) features and an optional client key echoed back.
public struct PredictRequest: Codable, Sendable, Equatable {
    public var key: String?
    public var features: [Double]

    public init(key: String?, features: [Double]) {
        self.key = key
        self.features = features
    }
}

/// Several prediction requests answered together.
public struct PredictBatchRequest: Codable, Sendable {
    public var items: [PredictRequest]

    public init(items: [PredictRequest]) { self.items = items }
}

/// One answer of two-phase prediction.
public struct Prediction: Codable, Sendable, Equatable {
    public var key: String?
    public var label: String
    public var probabilities: [Double]
    /// 1 when the device's model answered, 2 when the refinement model did.
    public var phase: Int
    /// The model that answered, as `name@version`.
    public var modelVersion: String
    /// True when phase two was needed but did not answer in time, so this is phase one's answer.
    public var degraded: Bool

    public init(
        key: String?, label: String, probabilities: [Double], phase: Int, modelVersion: String,
        degraded: Bool
    ) {
        self.key = key
        self.label = label
        self.probabilities = probabilities
        self.phase = phase
        self.modelVersion = modelVersion
        self.degraded = degraded
    }
}

/// The answer to a ``PredictBatchRequest``, in request order.
public struct PredictionBatch: Codable, Sendable {
    public var predictions: [Prediction]

    public init(predictions: [Prediction]) { self.predictions = predictions }
}

/// Labelled samples pushed to an agent's local store.
public struct SampleBatch: Codable, Sendable {
    public struct Sample: Codable, Sendable {
        public var features: [Double]
        public var label: String

        public init(features: [Double], label: String) {
            self.features = features
            self.label = label
        }
    }

    public var samples: [Sample]

    public init(samples: [Sample]) { self.samples = samples }
}

/// How many samples an agent accepted, and how many it now holds.
public struct SampleReceipt: Codable, Sendable {
    public var accepted: Int
    public var total: Int

    public init(accepted: Int, total: Int) {
        self.accepted = accepted
        self.total = total
    }
}

/// An agent's account of itself on its local API.
public struct AgentStatus: Codable, Sendable {
    public var deviceId: String
    public var runningModel: String?
    public var sampleCount: Int
    public var roundsJoined: Int
    public var predictions: Int
    public var phaseTwoRequests: Int
    public var degradedAnswers: Int
    public var connected: Bool
    /// What the device's private training has spent, and its budget.
    public var privacy: PrivacyStatus?

    public init(
        deviceId: String, runningModel: String?, sampleCount: Int, roundsJoined: Int, predictions: Int,
        phaseTwoRequests: Int, degradedAnswers: Int, connected: Bool, privacy: PrivacyStatus? = nil
    ) {
        self.deviceId = deviceId
        self.runningModel = runningModel
        self.sampleCount = sampleCount
        self.roundsJoined = roundsJoined
        self.predictions = predictions
        self.phaseTwoRequests = phaseTwoRequests
        self.degradedAnswers = degradedAnswers
        self.connected = connected
        self.privacy = privacy
    }
}

/// A device's privacy ledger in its status: ε spent by its private training at δ, over `runs` runs,
/// against its budget (none when unlimited), and why the last private round was refused, if it was.
public struct PrivacyStatus: Codable, Sendable, Equatable {
    public var budgetEpsilon: Double?
    public var delta: Double
    public var spentEpsilon: Double
    public var runs: Int
    public var refusal: String?

    public init(budgetEpsilon: Double?, delta: Double, spentEpsilon: Double, runs: Int, refusal: String? = nil) {
        self.budgetEpsilon = budgetEpsilon
        self.delta = delta
        self.spentEpsilon = spentEpsilon
        self.runs = runs
        self.refusal = refusal
    }
}
