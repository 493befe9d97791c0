#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two-proportion z-test of an A/B comparison of accuracies: is the candidate's share of right
/// answers (k₂ of n₂) different from the control's (k₁ of n₁)?
///
/// z = (p₂ − p₁) / √(p̂(1 − p̂)(1/n₁ + 1/n₂)) with the pooled p̂ = (k₁ + k₂)/(n₁ + n₂), two-sided
/// p-value 2(1 − Φ(|z|)); the 95 % interval of the difference is the unpooled
/// (p₂ − p₁) ± 1.96 √(p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂). It is a fixed-horizon test: read once both
/// arms hold the feedback asked for (``ExperimentReport/minFeedback``), not after every answer.
public struct TwoProportionTest: Sendable, Equatable {
    public var control: Double
    public var candidate: Double
    public var difference: Double
    public var low: Double
    public var high: Double
    public var z: Double
    public var pValue: Double

    /// nil when an arm has no trial.
    public init?(controlSuccesses k1: Int, controlTrials n1: Int, candidateSuccesses k2: Int, candidateTrials n2: Int) {
        guard n1 > 0, n2 > 0, (0...n1).contains(k1), (0...n2).contains(k2) else { return nil }
        let (p1, p2) = (Double(k1) / Double(n1), Double(k2) / Double(n2))
        let pooled = Double(k1 + k2) / Double(n1 + n2)
        let standardError = (pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))).squareRoot()
        control = p1
        candidate = p2
        difference = p2 - p1
        let spread = 1.959_964 * (p1 * (1 - p1) / Double(n1) + p2 * (1 - p2) / Double(n2)).squareRoot()
        low = difference - spread
        high = difference + spread
        z = standardError > 0 ? difference / standardError : 0
        pValue = standardError > 0 ? min(1, 2 * Self.upperTail(abs(z))) : 1
    }

    /// 1 − Φ(x) for the standard normal.
    public static func upperTail(_ x: Double) -> Double { 0.5 * erfc(x / 2.0.squareRoot()) }

    /// Wilson's 95 % interval of a share of k successes in n trials; nil with no trial.
    public static func wilson(successes k: Int, trials n: Int) -> (low: Double, high: Double)? {
        guard n > 0 else { return nil }
        let (z, count) = (1.959_964, Double(n))
        let share = Double(k) / count
        let centre = (share + z * z / (2 * count)) / (1 + z * z / count)
        let spread = z / (1 + z * z / count) * (share * (1 - share) / count + z * z / (4 * count * count)).squareRoot()
        return (max(0, centre - spread), min(1, centre + spread))
    }
}
