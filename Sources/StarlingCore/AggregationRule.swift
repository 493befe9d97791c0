/// How the aggregator combines a round's client deltas into one (see `RobustAggregation`).
///
/// `mean` is FedAvg's sample-weighted average; `median` and `trimmedMean` are the coordinate-wise robust rules of
/// Yin, Chen, Ramchandran & Bartlett 2018, which bound what a minority of faulty or malicious clients can do to
/// the result, at some cost in statistical efficiency when every client is honest.
public enum AggregationRule: Codable, Sendable, Equatable {
    /// Σ_k (n_k / n) Δ_k, n_k the client's sample count (McMahan et al. 2017).
    case mean
    /// The median of each coordinate over the clients, unweighted.
    case median
    /// The mean of each coordinate after dropping its ⌊β·m⌋ largest and ⌊β·m⌋ smallest of m values, unweighted;
    /// `trim` is β in [0, 0.5).
    case trimmedMean(trim: Double)

    /// Self when its parameter is in range (`trimmedMean`'s β in [0, 0.5)).
    public func validated() throws(AggregationError) -> Self {
        if case .trimmedMean(let trim) = self, !(trim >= 0 && trim < 0.5) { throw .invalidTrim(trim) }
        return self
    }
}
