#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The privacy of a sum to which n parties each added independent N_Z(0, σ²) noise in every one of
/// d coordinates: the distributed discrete Gaussian mechanism of Kairouz, Liu and Steinke (2021).
///
/// A sum of discrete Gaussians is not itself a discrete Gaussian, but it is close to N_Z(0, nσ²);
/// their Theorem 1 bounds the mechanism, for a change of one contribution with L2 norm at most Δ
/// (and L1 norm at most √d·Δ), by ½ε²-concentrated DP with
///
///     ε = min( √(Δ²/(nσ²) + ½·τ·d),  Δ/(√n·σ) + τ·√d ),   τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)).
///
/// ½ε²-concentrated DP is Rényi DP of α·ε²/2 at every order α, which is exactly the Gaussian
/// mechanism's α/(2s²) for a noise multiplier s = 1/ε: ``equivalentNoiseMultiplier`` lets the usual
/// ``PrivacyAccountant`` compose rounds of it. At the noise levels secure aggregation uses (σ in the
/// thousands of integer units) τ underflows to 0 and the sum is as private as continuous Gaussian
/// noise of variance nσ².
public struct DistributedDiscreteGaussian: Sendable, Equatable {
    /// σ of each party's discrete Gaussian, in integer units.
    public let deviceStandardDeviation: Double
    /// n: the fewest parties whose noise the sum is sure to carry.
    public let parties: Int
    /// d: the number of coordinates.
    public let dimension: Int
    /// Δ: the largest L2 norm of one party's contribution, in integer units.
    public let sensitivity: Double

    public init(deviceStandardDeviation: Double, parties: Int, dimension: Int, sensitivity: Double) throws(PrivacyError)
    {
        guard deviceStandardDeviation >= 0.5, deviceStandardDeviation.isFinite else {
            throw .invalidNoiseMultiplier(deviceStandardDeviation)
        }
        guard parties >= 1, dimension >= 1, sensitivity > 0, sensitivity.isFinite else {
            throw .invalidDistributedSetting(parties: parties, dimension: dimension, sensitivity: sensitivity)
        }
        self.deviceStandardDeviation = deviceStandardDeviation
        self.parties = parties
        self.dimension = dimension
        self.sensitivity = sensitivity
    }

    /// τ, how far the sum of n discrete Gaussians is from one discrete Gaussian.
    public var tau: Double {
        let sigmaSquared = deviceStandardDeviation * deviceStandardDeviation
        var sum = 0.0
        for k in stride(from: 1, to: parties, by: 1) {
            sum += exp(-2 * Double.pi * Double.pi * sigmaSquared * Double(k) / Double(k + 1))
        }
        return 10 * sum
    }

    /// ε of the mechanism's ½ε²-concentrated DP guarantee.
    public var concentratedEpsilon: Double {
        let spread = Double(parties).squareRoot() * deviceStandardDeviation
        let ratio = sensitivity / spread
        let d = Double(dimension)
        return min((ratio * ratio + 0.5 * tau * d).squareRoot(), ratio + tau * d.squareRoot())
    }

    /// The Gaussian noise multiplier (at q = 1) with the same Rényi divergence at every order.
    public var equivalentNoiseMultiplier: Double { 1 / concentratedEpsilon }

    /// The smallest per-party σ (to within one part in 10^9) for which n parties' noise protects a
    /// contribution of norm `sensitivity` at least as well as a Gaussian with `noiseMultiplier`.
    public static func calibrated(
        noiseMultiplier: Double, parties: Int, dimension: Int, sensitivity: Double
    ) throws(PrivacyError) -> DistributedDiscreteGaussian {
        guard noiseMultiplier > 0, noiseMultiplier.isFinite else { throw .invalidNoiseMultiplier(noiseMultiplier) }
        var sigma = max(0.5, noiseMultiplier * sensitivity / Double(max(1, parties)).squareRoot())
        while true {
            let mechanism = try DistributedDiscreteGaussian(
                deviceStandardDeviation: sigma, parties: parties, dimension: dimension, sensitivity: sensitivity)
            if mechanism.equivalentNoiseMultiplier >= noiseMultiplier { return mechanism }
            sigma *= 1 + 1e-9 + min(1, noiseMultiplier / mechanism.equivalentNoiseMultiplier - 1)
        }
    }
}
