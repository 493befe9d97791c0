/// Finds the noise a training run needs: the smallest noise multiplier σ for which `steps` steps at
/// sampling rate q stay within a target (ε, δ). This is how an operator turns a privacy budget into a
/// training setting.
public enum NoiseCalibration {
    /// The largest noise multiplier searched; a target that needs more is reported as impossible.
    public static let noiseMultiplierLimit = 1e6

    /// The smallest σ, to within `relativeTolerance`, whose ε for δ is at most `epsilon`.
    ///
    /// ε falls as σ grows, so the search doubles σ from 1 (or halves it) until it brackets the target,
    /// then bisects. The answer is the bracket's upper end: its ε is never above the target, and it is
    /// at most (1 + `relativeTolerance`) times the exact smallest σ. When the mechanism leaks nothing
    /// whatever the noise (q = 0 or no steps) the answer is 0.
    public static func noiseMultiplier(
        samplingRate: Double, steps: Int, epsilon: Double, delta: Double,
        orders: [Double] = RenyiOrders.default, relativeTolerance: Double = 1e-9
    ) throws(PrivacyError) -> Double {
        guard samplingRate >= 0, samplingRate <= 1 else { throw .samplingRateOutOfRange(samplingRate) }
        guard steps >= 0 else { throw .negativeSteps(steps) }
        guard epsilon > 0, epsilon.isFinite else { throw .nonPositiveEpsilon(epsilon) }
        guard delta > 0, delta < 1 else { throw .deltaOutOfRange(delta) }
        guard RenyiOrders.areValid(orders) else { throw .invalidOrders }

        func meets(_ sigma: Double) throws(PrivacyError) -> Bool {
            let mechanism = try SampledGaussianMechanism(samplingRate: samplingRate, noiseMultiplier: sigma)
            return try PrivacyAccountant.guarantee(of: [(mechanism, steps)], delta: delta, orders: orders).epsilon
                <= epsilon
        }

        if try meets(0) { return 0 }
        var low = 0.0
        var high = 1.0
        if try meets(high) {
            low = high / 2
            while try meets(low) {
                high = low
                low /= 2
            }
        } else {
            while try !meets(high) {
                low = high
                high *= 2
                guard high <= noiseMultiplierLimit else {
                    throw .calibrationImpossible(epsilon: epsilon, limit: noiseMultiplierLimit)
                }
            }
        }
        while high - low > relativeTolerance * high {
            let middle = (low + high) / 2
            if try meets(middle) { high = middle } else { low = middle }
        }
        return high
    }
}
