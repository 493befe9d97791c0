#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Integer noise for distributed differential privacy: samples of the discrete Gaussian
/// N_Z(0, σ²), P(x) ∝ exp(−x²/2σ²) over the integers, drawn from a ``SecureRandom`` stream.
///
/// Devices add it to their fixed-point updates before secure aggregation, where everything is an
/// integer modulo 2^32: continuous noise would have to be rounded, and rounded Gaussian noise has
/// no clean privacy analysis, while sums of discrete Gaussians do (see
/// ``DistributedDiscreteGaussian``). The sampler is Canonne, Kamath and Steinke's (2020,
/// Algorithm 3): a discrete Laplace proposal of scale t = ⌊σ⌋ + 1, accepted with probability
/// exp(−(|y| − σ²/t)² / 2σ²); the proposal is the difference of two geometric variables, each
/// ⌊−t·ln U⌋. The acceptance test and the geometric draws use double precision.
public enum DiscreteGaussianNoise {
    /// One sample of N_Z(0, σ²) with σ = `standardDeviation` > 0.
    public static func sample(standardDeviation sigma: Double, using random: inout SecureRandom) -> Int64 {
        precondition(sigma > 0 && sigma.isFinite, "a discrete Gaussian needs a positive finite standard deviation")
        let scale = (sigma.rounded(.down) + 1)
        let variance = sigma * sigma
        while true {
            let proposal = geometric(scale: scale, using: &random) - geometric(scale: scale, using: &random)
            let excess = Double(proposal.magnitude) - variance / scale
            if unitInterval(using: &random) < exp(-excess * excess / (2 * variance)) { return proposal }
        }
    }

    /// Adds an independent N_Z(0, σ²) sample to every element of `values`.
    public static func add(standardDeviation sigma: Double, to values: inout [Int64], using random: inout SecureRandom)
    {
        for index in values.indices {
            values[index] &+= sample(standardDeviation: sigma, using: &random)
        }
    }

    /// P(G = k) = (1 − p)·p^k with p = e^{−1/t}: ⌊−t·ln U⌋ for U uniform on (0, 1].
    private static func geometric(scale: Double, using random: inout SecureRandom) -> Int64 {
        let value = (-scale * log(positiveUnitInterval(using: &random))).rounded(.down)
        return value < 0x1p62 ? Int64(value) : Int64(1) << 62
    }

    /// Uniform on [0, 1) from the top 53 bits of a word.
    private static func unitInterval(using random: inout SecureRandom) -> Double {
        Double(random.next() >> 11) * 0x1p-53
    }

    /// Uniform on (0, 1].
    private static func positiveUnitInterval(using random: inout SecureRandom) -> Double {
        Double((random.next() >> 11) + 1) * 0x1p-53
    }
}
