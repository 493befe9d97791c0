#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A_α of the sampled Gaussian mechanism at an integer order, as a finite binomial sum.
enum IntegerOrderSum {
    /// log A_α for integer α ≥ 2 and 0 < q < 1, σ > 0, where
    /// A_α = Σᵢ C(α, i) qⁱ (1 − q)^(α−i) e^{(i² − i)/(2σ²)}.
    ///
    /// The binomial theorem makes the same sum without the exponential factor equal 1, so
    /// A_α − 1 = Σ_{i≥2} C(α, i) qⁱ (1 − q)^(α−i) (e^{(i² − i)/(2σ²)} − 1), a sum of positive terms;
    /// summing that and taking log1p keeps full relative precision when A_α is barely above 1 (small q,
    /// large σ), where summing A_α itself would leave only an absolute precision of about 1e-16.
    static func logA(q: Double, sigma: Double, alpha: Int) -> Double {
        let logQ = log(q)
        let log1MinusQ = log1p(-q)
        let twoSigmaSquared = 2 * sigma * sigma
        let order = Double(alpha)
        let terms = (2...alpha).map { i in
            let i = Double(i)
            let exponent = (i * i - i) / twoSigmaSquared
            let logExcess = exponent > 1 ? exponent + log(-expm1(-exponent)) : log(expm1(exponent))
            return LogSpace.binomial(order, i) + i * logQ + (order - i) * log1MinusQ + logExcess
        }
        return LogSpace.add(LogSpace.sum(terms), 0)
    }
}
