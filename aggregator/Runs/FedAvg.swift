/// Federated Averaging (FedAvg), the server step of Algorithm 1 in McMahan, Moore, Ramage,
/// Hampson & Agüera y Arcas, "Communication-Efficient Learning of Deep Networks from Decentralized
/// Data", AISTATS 2017:
///
///     w_{t+1} = w_t + Σ_k (n_k / n) Δ_k,    n = Σ_k n_k,    Δ_k = w_{t+1}^k − w_t
///
/// where client k trained on n_k samples and sent its delta Δ_k. Sums run in `Double` so the
/// result does not depend on the order of many small float additions more than necessary.
enum FedAvg {
    /// One client's contribution: its sample count n_k and its delta Δ_k.
    struct ClientUpdate: Sendable {
        var n_k: Int
        var delta: [Float]
    }

    /// Why there is nothing to average.
    enum Failure: Error, Equatable, CustomStringConvertible {
        case noUpdates
        case lengthMismatch(expected: Int, actual: Int)
        case noSamples

        var description: String {
            switch self {
            case .noUpdates: return "there are no updates to average"
            case .lengthMismatch(let expected, let actual):
                return "an update has \(actual) values, the model \(expected)"
            case .noSamples: return "the updates report no training samples"
            }
        }
    }

    /// w_{t+1} from w_t and the clients' updates.
    static func aggregate(w_t: [Float], updates: [ClientUpdate]) throws(Failure) -> [Float] {
        guard !updates.isEmpty else { throw .noUpdates }
        let n = updates.reduce(0) { $0 + $1.n_k }
        guard n > 0, updates.allSatisfy({ $0.n_k >= 0 }) else { throw .noSamples }
        var sum = [Double](repeating: 0, count: w_t.count)
        for update in updates {
            guard update.delta.count == w_t.count else {
                throw .lengthMismatch(expected: w_t.count, actual: update.delta.count)
            }
            let weight = Double(update.n_k) / Double(n)
            for i in sum.indices { sum[i] += weight * Double(update.delta[i]) }
        }
        return zip(w_t, sum).map { Float(Double($0) + $1) }
    }
}
