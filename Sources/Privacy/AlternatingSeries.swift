#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The sum of an infinite alternating series from its first few terms, for the slowly decaying tails of
/// the fractional-order Rényi divergence series (their terms shrink only polynomially).
///
/// It is the acceleration of Cohen, Rodriguez Villegas and Zagier (2000, "Convergence acceleration of
/// alternating series", algorithm 1): for magnitudes a₀, a₁, … that are the moments of a positive
/// measure on [0, 1], n terms give Σ (−1)ᵏ aₖ with an error below 2·a₀ / (3 + √8)ⁿ.
enum AlternatingSeries {
    /// How many terms ``sum(_:)`` reads: the error bound above is then below 1e-22 · a₀.
    static let termCount = 30

    /// Σₖ (−1)ᵏ aₖ from `magnitudes` = a₀ … a₍ₙ₋₁₎.
    static func sum(_ magnitudes: [Double]) -> Double {
        let n = Double(magnitudes.count)
        var d = pow(3 + 8.squareRoot(), n)
        d = (d + 1 / d) / 2
        var b = -1.0
        var c = -d
        var total = 0.0
        for (k, magnitude) in magnitudes.enumerated() {
            let k = Double(k)
            c = b - c
            total += c * magnitude
            b = (k + n) * (k - n) * b / ((k + 0.5) * (k + 1))
        }
        return total / d
    }
}
