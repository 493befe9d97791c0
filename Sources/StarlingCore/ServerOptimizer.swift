/// The server step of federated training: the next global model x_{t+1} from x_t and the round's pseudo-gradient
/// Δ_t, the aggregated client delta (client model − x_t, see `RobustAggregation`), which points downhill.
///
/// One family, variants by configuration. Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar & McMahan,
/// "Adaptive Federated Optimization", ICLR 2021, Algorithm 2 (FedAdagrad, FedYogi, FedAdam):
///
///     m_t = β1 m_{t−1} + (1 − β1) Δ_t
///     v_t = v_{t−1} + Δ_t²                                   (FedAdagrad)
///     v_t = v_{t−1} − (1 − β2) Δ_t² sign(v_{t−1} − Δ_t²)      (FedYogi)
///     v_t = β2 v_{t−1} + (1 − β2) Δ_t²                       (FedAdam)
///     x_{t+1} = x_t + η m_t / (√v_t + τ)
///
/// all element-wise, followed exactly: no bias correction, m_{−1} = 0 and v_{−1} = τ², the smallest value the
/// algorithm's initialisation v_{−1} ≥ τ² allows. FedAvgM, Hsu, Qi & Brown, "Measuring the Effects of
/// Non-Identical Data Distribution for Federated Visual Classification", 2019: m_t = β1 m_{t−1} + Δ_t,
/// x_{t+1} = x_t + η m_t with m_{−1} = 0 (their v ← βv + Δw, w ← w − v, with Δw = −Δ_t, scaled by η).
/// FedAvg: x_{t+1} = x_t + η Δ_t.
///
/// Each coordinate is computed in `Double` from the stored `Float` values and rounded once when stored.
public struct ServerOptimizer: Sendable {
    /// The validated hyper-parameters.
    public let configuration: ServerOptimizerConfiguration
    /// The moments after the last step; store it to continue the run later.
    public private(set) var state: ServerOptimizerState

    /// Throws if the configuration is out of range or `state` could not have come from its kind.
    public init(
        configuration: ServerOptimizerConfiguration, state: ServerOptimizerState = ServerOptimizerState()
    ) throws(ServerOptimizerError) {
        self.configuration = try configuration.validated()
        try state.check(for: configuration.kind)
        self.state = state
    }

    /// x_{t+1} from the global parameters x_t and the average client delta Δ_t; advances the state.
    ///
    /// Throws, leaving the state unchanged, when the lengths differ (from each other or from the stored moments),
    /// an input is NaN or infinite, or a result would overflow.
    public mutating func step(parameters x_t: [Float], averageDelta delta_t: [Float]) throws(ServerOptimizerError)
        -> [Float]
    {
        let count = x_t.count
        guard delta_t.count == count else { throw .lengthMismatch(parameters: count, delta: delta_t.count) }
        for (storedName, stored) in [("m", state.m), ("v", state.v)] where !stored.isEmpty && stored.count != count {
            throw .invalidState("\(storedName) has \(stored.count) values, the model \(count) parameters")
        }
        for (name, values) in [("parameters", x_t), ("averageDelta", delta_t)] {
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw .nonFiniteInput(name: name, index: index)
            }
        }

        let eta = configuration.learningRate, beta1 = configuration.beta1, tau = configuration.tau
        let v_t_from = secondMoment()
        // FedAvg is FedAvgM with β1 = 0; the adaptive kinds damp m_t by (1 − β1) and divide by √v_t + τ.
        let momentum = configuration.kind == .fedavg ? 0 : beta1
        let dampening = v_t_from == nil ? 1 : 1 - beta1
        var m_t = configuration.kind.keepsFirstMoment ? [Float](repeating: 0, count: count) : []
        var v_t = v_t_from == nil ? [] : [Float](repeating: 0, count: count)
        var x_next = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let delta = Double(delta_t[i])
            let m = momentum * (state.m.isEmpty ? 0 : Double(state.m[i])) + dampening * delta
            var update = m
            if !m_t.isEmpty { m_t[i] = Float(m) }
            if let v_t_from {
                let v = v_t_from(state.v.isEmpty ? tau * tau : Double(state.v[i]), delta * delta)
                v_t[i] = Float(v)
                update = m / (v.squareRoot() + tau)
            }
            let x = Float(Double(x_t[i]) + eta * update)
            guard x.isFinite else { throw .nonFiniteResult(index: i) }
            x_next[i] = x
        }
        state = ServerOptimizerState(step: state.step + 1, m: m_t, v: v_t)
        return x_next
    }

    /// v_t as a function of v_{t−1} and Δ_t², or nil for the kinds without a second moment.
    private func secondMoment() -> ((Double, Double) -> Double)? {
        let beta2 = configuration.beta2
        switch configuration.kind {
        case .fedavg, .fedavgm: return nil
        case .fedadagrad: return { v, squared in v + squared }
        case .fedyogi: return { v, squared in v - (1 - beta2) * squared * Self.sign(v - squared) }
        case .fedadam: return { v, squared in beta2 * v + (1 - beta2) * squared }
        }
    }

    /// −1, 0 or 1, as the paper's sign (0 at 0).
    private static func sign(_ value: Double) -> Double {
        value > 0 ? 1 : value < 0 ? -1 : 0
    }
}
