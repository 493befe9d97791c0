/// What a server optimiser remembers between rounds: the moments m_t and v_t of Reddi et al. 2021.
///
/// The aggregator stores it beside the global model after every round (`encoded()` gives a compact blob) and
/// hands it back to `ServerOptimizer` for the next round, so a restarted aggregator continues the same run.
/// The arrays stay empty until the first step and for the kinds that do not use them: fedavg keeps neither,
/// fedavgm keeps only m (its velocity). Values are stored as `Float`, like the model.
public struct ServerOptimizerState: Codable, Sendable, Equatable {
    /// Server steps taken so far (rounds aggregated).
    public var step: Int
    /// First moment m_t (fedavgm: the momentum buffer), one value per parameter.
    public var m: [Float]
    /// Second moment v_t, one value per parameter.
    public var v: [Float]

    public init(step: Int = 0, m: [Float] = [], v: [Float] = []) {
        self.step = step
        self.m = m
        self.v = v
    }

    /// Throws unless the state could have been produced by `kind`: a non-negative step, only the moments the kind
    /// keeps, of equal length, finite, and v_t non-negative.
    func check(for kind: ServerOptimizerKind) throws(ServerOptimizerError) {
        guard step >= 0 else { throw .invalidState("the step count \(step) is negative") }
        for (name, values, kept) in [("m", m, kind.keepsFirstMoment), ("v", v, kind.keepsSecondMoment)]
        where !kept && !values.isEmpty {
            throw .invalidState("\(kind.rawValue) keeps no \(name), but the state has one")
        }
        guard !kind.keepsSecondMoment || m.count == v.count else {
            throw .invalidState("m has \(m.count) values and v \(v.count)")
        }
        if let index = m.firstIndex(where: { !$0.isFinite }) {
            throw .invalidState("m[\(index)] is \(m[index])")
        }
        if let index = v.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw .invalidState("v[\(index)] is \(v[index]), not a finite non-negative number")
        }
    }
}
