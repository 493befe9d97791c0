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
    /// The experiment whose arm answered, if one did.
    var experiment: String? = nil
    /// What an experiment's shadow answered for the same input, once it has.
    var shadow: ShadowAnswer? = nil
}

/// A shadow version's phase-one label for a keyed prediction.
struct ShadowAnswer: Sendable, Equatable {
    var key: String
    var experiment: String
    /// The shadow version, as `name@version`.
    var version: String
    var label: String
}
