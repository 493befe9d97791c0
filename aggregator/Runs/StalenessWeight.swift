import Foundation

/// How much an update of a buffered asynchronous run counts when it was trained from a version
/// `staleness` rounds older than the newest: 1/√(1 + staleness), the polynomial discount of
/// FedBuff (Nguyen et al. 2022), so that late updates still help but pull less.
enum StalenessWeight {
    static func factor(staleness: Int) -> Double { 1 / (1 + Double(max(staleness, 0))).squareRoot() }

    /// An integer sample weight scaled by the factor, with 1,024 steps of resolution so that fresh
    /// updates keep their exact ratios.
    static func scaled(_ weight: Int, staleness: Int) -> Int {
        Int((Double(weight) * 1024 * factor(staleness: staleness)).rounded())
    }

    /// How much shorter than a fresh buffer's step a buffer's step is: Σ wᵢsᵢ / Σ wᵢ over its
    /// updates' sample weights and their staleness-scaled weights; 1 for a buffer of fresh updates.
    static func discount(weights: [Int], scaled: [Int]) -> Double {
        let total = weights.reduce(0, +)
        guard total > 0 else { return 1 }
        return Double(scaled.reduce(0, +)) / (1024 * Double(total))
    }
}
