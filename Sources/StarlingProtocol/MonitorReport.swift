import StarlingCore

/// A device's monitors over a recent span, per model version (`GET /v1/monitor` on the agent's
/// local API): the counts of ``MonitorWindow`` turned into the figures an operator reads.
public struct MonitorReport: Codable, Sendable, Equatable {
    /// The figures of one version.
    public struct Version: Codable, Sendable, Equatable {
        public var version: String
        /// The span the figures cover, in seconds since 1970.
        public var from: Double
        public var to: Double
        public var requests: Int
        public var errorRate: Double?
        public var phaseTwoRate: Double?
        public var degradedRate: Double?
        /// Phase-one latency quantiles, in milliseconds: the upper bound of the bucket holding them.
        public var latencyP50Ms: Double?
        public var latencyP95Ms: Double?
        /// Phase-one answers per tenth of top-class probability.
        public var confidence: [Int]
        public var feedback: Int
        /// The share of predictions with feedback that were right; nil without feedback.
        public var accuracy: Double?
        /// Rows are the true labels, columns the predicted ones.
        public var confusion: Confusion
        /// Per feature, the drift from the training profile; empty when the model has no drift
        /// reference, and nil for a feature without recent inputs.
        public var drift: [DriftScore?]
        /// The features that drifted most, by PSI, at most five.
        public var topDrift: [FeatureDrift]
        /// The experiment arm the figures are of; nil for plain serving.
        public var arm: ExperimentArm?

        public init(
            version: String, from: Double, to: Double, requests: Int, errorRate: Double?, phaseTwoRate: Double?,
            degradedRate: Double?, latencyP50Ms: Double?, latencyP95Ms: Double?, confidence: [Int], feedback: Int,
            accuracy: Double?, confusion: Confusion, drift: [DriftScore?], topDrift: [FeatureDrift]
        ) {
            self.version = version
            self.from = from
            self.to = to
            self.requests = requests
            self.errorRate = errorRate
            self.phaseTwoRate = phaseTwoRate
            self.degradedRate = degradedRate
            self.latencyP50Ms = latencyP50Ms
            self.latencyP95Ms = latencyP95Ms
            self.confidence = confidence
            self.feedback = feedback
            self.accuracy = accuracy
            self.confusion = confusion
            self.drift = drift
            self.topDrift = topDrift
        }
    }

    /// A confusion matrix with its labels.
    public struct Confusion: Codable, Sendable, Equatable {
        public var labels: [String]
        public var counts: [[Int]]

        public init(labels: [String], counts: [[Int]]) {
            self.labels = labels
            self.counts = counts
        }
    }

    /// A feature and its drift.
    public struct FeatureDrift: Codable, Sendable, Equatable {
        public var feature: Int
        public var psi: Double
        public var ks: Double

        public init(feature: Int, psi: Double, ks: Double) {
            self.feature = feature
            self.psi = psi
            self.ks = ks
        }
    }

    /// The spans a monitor report or a rule may cover, in seconds: a minute to 30 days (as long as
    /// the aggregator keeps windows).
    public static let spanSeconds: ClosedRange<Double> = 60...(30 * 86_400)

    /// The span asked for, in seconds.
    public var windowSeconds: Double
    public var versions: [Version]
    /// Since the agent started: keyed predictions not kept, and calls whose inputs were left out of
    /// the drift histograms, because too much waited to be written (0 unless the device is overloaded).
    public var droppedPredictions: Int
    public var unsampledCalls: Int

    public init(windowSeconds: Double, versions: [Version], droppedPredictions: Int = 0, unsampledCalls: Int = 0) {
        self.windowSeconds = windowSeconds
        self.versions = versions
        self.droppedPredictions = droppedPredictions
        self.unsampledCalls = unsampledCalls
    }
}
