/// Combines a round's client deltas Δ_k (client model − global model) into one delta: the pseudo-gradient a
/// `ServerOptimizer` steps with (plain FedAvg adds it to the global model).
///
/// `mean` is FedAvg's Σ_k (n_k / n) Δ_k (McMahan et al. 2017), summed in `Double`. `median` and `trimmedMean` are
/// the coordinate-wise rules of Yin, Chen, Ramchandran & Bartlett, "Byzantine-Robust Distributed Learning:
/// Towards Optimal Statistical Rates", ICML 2018, over the m clients' values x^i_k of each coordinate k:
///
///     med{x^i}_k       = the median of {x^i_k : i ∈ [m]}
///     trmean_β{x^i}_k  = 1/|U_k| Σ_{x ∈ U_k} x,   U_k = {x^i_k} without its ⌊β·m⌋ largest and ⌊β·m⌋ smallest
///
/// (the paper writes 1/((1 − 2β)m), taking β·m whole). Both are unweighted, as in the paper: a client's weight is
/// its own claim, and a faulty one could claim any n_k to take over a weighted rule. The median is the trimmed
/// mean that keeps the middle value, or the mean of the middle two for an even m.
public enum RobustAggregation {
    /// The aggregated delta of `updates` (weight = the client's sample count n_k, read by `mean` only).
    ///
    /// Throws when `rule` is out of range, there is no update, lengths differ, a weight is negative, a value is
    /// NaN or infinite, or `mean` finds no positive weight.
    public static func aggregate(
        _ updates: [(weight: Int, delta: [Float])], rule: AggregationRule
    ) throws(AggregationError) -> [Float] {
        let rule = try rule.validated()
        guard let first = updates.first else { throw .noUpdates }
        let count = first.delta.count
        for (index, update) in updates.enumerated() {
            guard update.delta.count == count else {
                throw .lengthMismatch(index: index, expected: count, actual: update.delta.count)
            }
            guard update.weight >= 0 else { throw .negativeWeight(index: index, weight: update.weight) }
            if let coordinate = update.delta.firstIndex(where: { !$0.isFinite }) {
                throw .nonFiniteDelta(index: index, coordinate: coordinate)
            }
        }
        let m = updates.count
        switch rule {
        case .mean:
            return try weightedMean(updates, count: count)
        case .median:
            return trimmedMean(updates, count: count, dropping: (m - 1) / 2)
        case .trimmedMean(let trim):
            // β < 0.5 keeps ⌊β·m⌋ below m/2 (also after rounding β·m), so at least one value remains.
            return trimmedMean(updates, count: count, dropping: Int((trim * Double(m)).rounded(.down)))
        }
    }

    /// Σ_k (n_k / n) Δ_k with n = Σ_k n_k.
    private static func weightedMean(
        _ updates: [(weight: Int, delta: [Float])], count: Int
    ) throws(AggregationError) -> [Float] {
        // In Double, so that no claimed weight can overflow the sum.
        let n = updates.reduce(0.0) { $0 + Double($1.weight) }
        guard n > 0 else { throw .noWeight }
        var sum = [Double](repeating: 0, count: count)
        for update in updates where update.weight > 0 {
            let share = Double(update.weight) / n
            for k in 0..<count { sum[k] += share * Double(update.delta[k]) }
        }
        return sum.map { Float($0) }
    }

    /// Per coordinate, the mean of the sorted values without the `dropped` smallest and `dropped` largest.
    private static func trimmedMean(_ updates: [(weight: Int, delta: [Float])], count: Int, dropping dropped: Int)
        -> [Float]
    {
        var column = [Float](repeating: 0, count: updates.count)
        let kept = dropped..<(updates.count - dropped)
        return (0..<count).map { k in
            for i in updates.indices { column[i] = updates[i].delta[k] }
            column.sort()
            let sum = column[kept].reduce(0.0) { $0 + Double($1) }
            return Float(sum / Double(kept.count))
        }
    }
}
