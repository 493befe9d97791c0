/// Where a round's differential-privacy noise is added, and so what its ε protects.
public enum PrivacyMode: String, Codable, Sendable, CaseIterable {
    /// Each device trains with DP-SGD: example-level (ε, δ) per device per round.
    case local
    /// Devices clip their whole update; the aggregator adds Gaussian noise to the sum: user-level ε.
    case central
    /// Devices clip their update and add their share of discrete Gaussian noise, so the securely
    /// aggregated sum carries the full noise: user-level ε without trusting the aggregator.
    case distributed

    /// Whether ε bounds what one device's whole data can change (central, distributed) rather than one example.
    public var isUserLevel: Bool { self != .local }
}

/// An admin's privacy setting for a run.
public struct PrivacyRequest: Codable, Sendable, Equatable {
    public var mode: PrivacyMode
    /// The whole run's ε: example-level per device (local) or user-level (central, distributed).
    public var epsilon: Double
    public var delta: Double
    /// L2 bound on one example's gradient (local) or one device's update (central, distributed);
    /// default 1.
    public var clipNorm: Double?

    public init(mode: PrivacyMode, epsilon: Double, delta: Double, clipNorm: Double? = nil) {
        self.mode = mode
        self.epsilon = epsilon
        self.delta = delta
        self.clipNorm = clipNorm
    }
}

/// What a device must do for a private round.
public struct PrivacyTask: Codable, Sendable, Equatable {
    public var mode: PrivacyMode
    /// Local: the ε the device's training may spend over the whole run of `rounds` rounds; each
    /// round's training takes its share of the steps that ε allows.
    public var epsilon: Double
    public var delta: Double
    public var clipNorm: Double
    /// Rounds in the run.
    public var rounds: Int
    /// Central and distributed: the user-level noise multiplier of each round (the sum's noise
    /// standard deviation over the clipping norm), which the device's ledger records.
    public var noiseMultiplier: Double?
    /// Distributed: σ of the discrete Gaussian noise the device adds to each value of its encoded
    /// update, in integer units of ``SecureAggregationTask/encodingScale``.
    public var deviceNoiseStandardDeviation: Double?

    public init(
        mode: PrivacyMode, epsilon: Double, delta: Double, clipNorm: Double, rounds: Int,
        noiseMultiplier: Double? = nil, deviceNoiseStandardDeviation: Double? = nil
    ) {
        self.mode = mode
        self.epsilon = epsilon
        self.delta = delta
        self.clipNorm = clipNorm
        self.rounds = rounds
        self.noiseMultiplier = noiseMultiplier
        self.deviceNoiseStandardDeviation = deviceNoiseStandardDeviation
    }
}

/// The privacy a version cost, as its lineage states it.
public struct VersionPrivacy: Codable, Sendable, Equatable {
    public var mode: PrivacyMode
    /// The (ε, δ) the whole run was calibrated to, which bounds every version it makes: example-level
    /// per device for local, user-level for central and distributed.
    public var epsilon: Double
    public var delta: Double

    public init(mode: PrivacyMode, epsilon: Double, delta: Double) {
        self.mode = mode
        self.epsilon = epsilon
        self.delta = delta
    }
}
