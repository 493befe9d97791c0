/// What one device saw of one model version during one time window: plain counts, so that windows
/// add up across time and across devices (and can be summed under secure aggregation).
public struct MonitorWindow: Codable, Sendable, Equatable {
    /// Upper bounds of the phase-one latency buckets, in microseconds: powers of two from 16 µs to
    /// about 4 s; the last bucket takes everything slower.
    public static let latencyBoundsMicroseconds: [Int] = (4...22).map { 1 << $0 }
    /// Confidence (top-class probability) buckets: tenths of 0…1.
    public static let confidenceBuckets = 10

    /// The version, as `name@version`.
    public var version: String
    /// When the window opened, in seconds since 1970.
    public var start: Double
    /// The window's length in seconds.
    public var seconds: Double
    /// The version's class labels, which index `confusion`.
    public var labels: [String]
    /// Predictions answered.
    public var requests: Int = 0
    /// Prediction requests refused or failed while this version was installed.
    public var errors: Int = 0
    /// Predictions sent to phase two.
    public var phaseTwo: Int = 0
    /// Predictions phase two should have answered but did not (answered by phase one, flagged).
    public var degraded: Int = 0
    /// Phase-one calls per latency bucket (``latencyBoundsMicroseconds``, then one more).
    public var latency: [Int]
    /// Phase-one answers per confidence tenth.
    public var confidence: [Int]
    /// Predictions that got feedback, and how many of them were right.
    public var feedback: Int = 0
    public var correct: Int = 0
    /// labels × labels, row-major: `confusion[truth * labels.count + predicted]`.
    public var confusion: [Int]
    /// Per feature, the recent inputs per bin of the model's drift reference; empty when the model
    /// has none.
    public var features: [[Int]]
    /// Set on windows recorded as an arm of an experiment; nil otherwise.
    public var arm: ExperimentArm?

    /// An empty window of `version` opening at `start`; `bins` are the drift reference's bin counts
    /// per feature.
    public init(version: String, start: Double, seconds: Double, labels: [String], bins: [Int]) {
        self.version = version
        self.start = start
        self.seconds = seconds
        self.labels = labels
        latency = [Int](repeating: 0, count: Self.latencyBoundsMicroseconds.count + 1)
        confidence = [Int](repeating: 0, count: Self.confidenceBuckets)
        confusion = [Int](repeating: 0, count: labels.count * labels.count)
        features = bins.map { [Int](repeating: 0, count: $0) }
    }

    /// The latency bucket of a phase-one call that took `microseconds`: the first bound (2⁴ … 2²²)
    /// at or above it, found from its bit length.
    public static func latencyBucket(microseconds: Int) -> Int {
        guard microseconds > 16 else { return 0 }
        let bits = Int.bitWidth - (microseconds - 1).leadingZeroBitCount
        return min(bits - 4, latencyBoundsMicroseconds.count)
    }

    /// The confidence bucket of a top-class probability.
    public static func confidenceBucket(_ probability: Double) -> Int {
        guard probability.isFinite else { return 0 }
        return min(max(Int(probability * Double(confidenceBuckets)), 0), confidenceBuckets - 1)
    }

    /// What tells windows apart beside their start: the version, and the experiment arm if any.
    public var identity: String {
        guard let arm else { return version }
        return "\(version) \(arm.experiment)\(arm.shadow ? " shadow" : "")"
    }

    /// Whether this window counts answers that were returned (every window but a shadow's).
    public var served: Bool { arm?.shadow != true }

    /// `windows` added up per ``identity`` (the first window of each sets its shape; later ones of
    /// another shape, from before the version's labels changed, are left out).
    public static func totals(_ windows: [MonitorWindow]) -> [String: MonitorWindow] {
        var totals: [String: MonitorWindow] = [:]
        for window in windows {
            if totals[window.identity]?.add(window) == nil { totals[window.identity] = window }
        }
        return totals
    }

    /// Adds `other`'s counts, when it has the same shape (same labels and bins); returns whether it did.
    @discardableResult
    public mutating func add(_ other: MonitorWindow) -> Bool {
        guard other.labels == labels, other.latency.count == latency.count,
            other.features.map(\.count) == features.map(\.count)
        else { return false }
        requests = Self.sum(requests, other.requests)
        errors = Self.sum(errors, other.errors)
        phaseTwo = Self.sum(phaseTwo, other.phaseTwo)
        degraded = Self.sum(degraded, other.degraded)
        feedback = Self.sum(feedback, other.feedback)
        correct = Self.sum(correct, other.correct)
        if var mine = arm, let theirs = other.arm {
            mine.agreed = Self.sum(mine.agreed, theirs.agreed)
            arm = mine
        }
        for index in latency.indices { latency[index] = Self.sum(latency[index], other.latency[index]) }
        for index in confidence.indices { confidence[index] = Self.sum(confidence[index], other.confidence[index]) }
        for index in confusion.indices { confusion[index] = Self.sum(confusion[index], other.confusion[index]) }
        for feature in features.indices {
            for bin in features[feature].indices {
                features[feature][bin] = Self.sum(features[feature][bin], other.features[feature][bin])
            }
        }
        seconds = max(start + seconds, other.start + other.seconds) - min(start, other.start)
        start = min(start, other.start)
        return true
    }

    /// Counts add without trapping: a sum past Int.max stays at Int.max.
    private static func sum(_ a: Int, _ b: Int) -> Int {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? Int.min : Int.max) : total
    }
}
