/// An (ε, δ) guarantee read off an RDP curve, with the Rényi order that gave it, so a report can say
/// which order the bound came from and whether the order list was wide enough.
public struct PrivacyGuarantee: Hashable, Sendable {
    public let epsilon: Double
    public let delta: Double
    /// The order α whose divergence gave the tightest bound.
    public let order: Double

    public init(epsilon: Double, delta: Double, order: Double) {
        self.epsilon = epsilon
        self.delta = delta
        self.order = order
    }
}
