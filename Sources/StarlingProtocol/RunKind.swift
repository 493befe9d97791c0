/// What the rounds of a run ask their devices to do.
///
/// Every kind goes through the same machinery (cohort selection, deadlines, plain upload or
/// SecAgg+), so evaluation and feature statistics get the privacy and dropout handling of training.
public enum RunKind: String, Codable, Sendable, CaseIterable {
    /// Devices train from the round's base version and send updates; each round makes a version.
    case train
    /// Devices evaluate one version on their held-out samples without training; the result is kept
    /// with the version.
    case evaluate
    /// Devices summarise their samples' features; the result is a feature profile in the registry.
    case statistics
    /// Devices add up their monitor windows of one version over a span, under SecAgg+ only; the
    /// sum is kept as the fleet's window of that span.
    case monitor
}
