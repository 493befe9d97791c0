#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// One step of DP-SGD or DP-FedAvg: each record (or device) takes part with probability q, independently
/// of the others, and Gaussian noise of standard deviation σ times the clipping norm is added to the
/// sum of the clipped contributions. Its privacy loss per step is told by its Rényi divergence.
public struct SampledGaussianMechanism: Hashable, Sendable {
    /// q, the probability that a record takes part in a step.
    public let samplingRate: Double
    /// σ, the noise's standard deviation as a multiple of the clipping norm (the L2 sensitivity).
    public let noiseMultiplier: Double

    public init(samplingRate: Double, noiseMultiplier: Double) throws(PrivacyError) {
        guard samplingRate >= 0, samplingRate <= 1 else { throw .samplingRateOutOfRange(samplingRate) }
        guard noiseMultiplier >= 0, noiseMultiplier.isFinite else { throw .invalidNoiseMultiplier(noiseMultiplier) }
        self.samplingRate = samplingRate
        self.noiseMultiplier = noiseMultiplier
    }

    /// The Rényi divergence of one step at an order 1 < α ≤ ``RenyiOrders/largest``, under adding or
    /// removing one record: log(A_α)/(α − 1) with A_α = E_{z∼N(0,σ²)}[((1 − q) + q·e^{(2z−1)/(2σ²)})^α] (Mironov, Talwar
    /// and Zhang 2019). Without sampling (q = 0) it is 0; without noise (σ = 0) it is infinite;
    /// without subsampling (q = 1) it is the Gaussian mechanism's α/(2σ²).
    ///
    /// Integer orders take the exact finite binomial sum; fractional orders take the series of the same
    /// paper's §3.3 with each binomial coefficient's sign kept, which is exact (see
    /// ``FractionalOrderSeries``).
    public func rdp(order alpha: Double) -> Double {
        precondition(RenyiOrders.areValid([alpha]), "Rényi orders lie in (1, \(RenyiOrders.largest)]")
        if samplingRate == 0 { return 0 }
        if noiseMultiplier == 0 { return .infinity }
        if samplingRate == 1 { return alpha / (2 * noiseMultiplier * noiseMultiplier) }
        let logA =
            alpha.rounded() == alpha
            ? IntegerOrderSum.logA(q: samplingRate, sigma: noiseMultiplier, alpha: Int(alpha))
            : FractionalOrderSeries.logA(q: samplingRate, sigma: noiseMultiplier, alpha: alpha)
        return max(0, logA) / (alpha - 1)
    }
}
