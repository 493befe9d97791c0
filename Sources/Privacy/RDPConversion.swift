#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Turns Rényi divergences at several orders into the tightest (ε, δ) guarantee they imply, the way
/// dp-accounting's `compute_epsilon` and `compute_delta` do.
///
/// Each order gives ε = rdp + log1p(−1/α) − (log δ + log α)/(α − 1) (Canonne, Kamath and Steinke
/// 2020, proposition 12), used only for α > 1.01 where it is numerically stable; an order whose
/// divergence is so small that δ² > 1 − e^{−rdp} gives ε = 0 through the KL bound
/// δ ≤ √(1 − e^{−rdp}). The result is the smallest over the orders, never below 0.
enum RDPConversion {
    static func epsilon(orders: [Double], rdp: [Double], delta: Double) -> PrivacyGuarantee {
        let candidates = zip(orders, rdp).map { alpha, r in
            if delta * delta + expm1(-r) > 0 { return 0.0 }
            if alpha > 1.01 { return r + log1p(-1 / alpha) - (log(delta) + log(alpha)) / (alpha - 1) }
            return .infinity
        }
        let best = bestIndex(candidates)
        return PrivacyGuarantee(epsilon: max(0, candidates[best]), delta: delta, order: orders[best])
    }

    /// The smallest δ for `epsilon`: per order the smaller of the KL bound √(1 − e^{−rdp}) and, for
    /// α > 1.01, e^{(α − 1)(rdp − ε + log1p(−1/α)) − log α}; never above 1.
    static func delta(orders: [Double], rdp: [Double], epsilon: Double) -> PrivacyGuarantee {
        let candidates = zip(orders, rdp).map { alpha, r in
            let viaKL = 0.5 * LogSpace.subtract(0, -r)
            guard alpha > 1.01 else { return viaKL }
            return min(viaKL, (alpha - 1) * (r - epsilon + log1p(-1 / alpha)) - log(alpha))
        }
        let best = bestIndex(candidates)
        return PrivacyGuarantee(epsilon: epsilon, delta: min(exp(candidates[best]), 1), order: orders[best])
    }

    /// The first index of the smallest value, as numpy's argmin picks it.
    private static func bestIndex(_ values: [Double]) -> Int {
        var best = 0
        for index in values.indices where values[index] < values[best] { best = index }
        return best
    }
}
