/// A keyed prediction kept until its feedback arrives: what the installed version answered in
/// phase one, so that feedback measures the version's own accuracy.
struct LoggedPrediction: Sendable, Equatable {
    var key: String
    /// The version, as `name@version`.
    var version: String
    /// Phase one's label.
    var label: String
    /// Phase one's top-class probability.
    var confidence: Double
    /// Whether the answer went to phase two.
    var escalated: Bool
    /// Seconds since 1970.
    var createdAt: Double
}
