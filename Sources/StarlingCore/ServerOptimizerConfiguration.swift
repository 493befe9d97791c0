/// Which server update turns a round's average client delta into the next global model (see `ServerOptimizer`).
public enum ServerOptimizerKind: String, Codable, Sendable, CaseIterable {
    /// x_{t+1} = x_t + η Δ_t; η = 1 is McMahan et al.'s FedAvg.
    case fedavg
    /// FedAvg with server momentum (Hsu, Qi & Brown 2019).
    case fedavgm
    /// Adam on the server (Reddi et al. 2021, Algorithm 2).
    case fedadam
    /// Yogi on the server (Reddi et al. 2021, Algorithm 2).
    case fedyogi
    /// Adagrad on the server (Reddi et al. 2021, Algorithm 2).
    case fedadagrad

    /// Whether the state carries m_t: every kind but fedavg.
    var keepsFirstMoment: Bool { self != .fedavg }
    /// Whether the state carries v_t: the adaptive kinds.
    var keepsSecondMoment: Bool { self != .fedavg && self != .fedavgm }
}

/// The hyper-parameters of a server optimiser, stored by the aggregator with the federation's settings.
///
/// Every kind carries every field so that a configuration is one flat record; a kind ignores the fields its
/// update does not use (fedavg reads η; fedavgm η and β1; fedadam and fedyogi all four; fedadagrad η, β1, τ).
/// Decoding does not validate: call `validated()` (the `ServerOptimizer` initialiser does).
public struct ServerOptimizerConfiguration: Codable, Sendable, Equatable {
    /// The update rule.
    public var kind: ServerOptimizerKind
    /// Server learning rate η, in (0, 100].
    public var learningRate: Double
    /// β1: momentum of fedavgm, first-moment decay of the adaptive kinds; in [0, 1).
    public var beta1: Double
    /// β2: second-moment decay of fedadam and fedyogi; in [0, 1).
    public var beta2: Double
    /// τ: the adaptivity floor added to √v_t, and √v_{−1} (v_{−1} = τ²); in (0, 1].
    public var tau: Double

    public init(kind: ServerOptimizerKind, learningRate: Double, beta1: Double, beta2: Double, tau: Double) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.tau = tau
    }

    /// Values that work without tuning on Starling's models.
    ///
    /// β1 = 0.9 and β2 = 0.99 are Reddi et al.'s fixed choices; τ and η come from their grids (τ ∈ 10⁻¹…10⁻⁵),
    /// chosen on the quality benchmark (docs/quality.md: five datasets, IID and Dirichlet partitions over 8 and
    /// 32 devices, 20 rounds, the other round defaults): η = 1 for fedavg (plain FedAvg) and fedavgm (with
    /// β1 = 0.9 its effective step η/(1 − β1) is ten FedAvg steps), 0.1 for fedadam and fedyogi, 0.3 for
    /// fedadagrad; τ = 10⁻³ for fedadam (10⁻² left it 0.5–1 point behind on the small tables, where deltas are
    /// small, and the two are within seed noise elsewhere) and 10⁻² for the others. Without bias correction the
    /// first adaptive step moves a coordinate whose delta is well above τ by about η·(1 − β1)/√(1 − β2) = η,
    /// and one whose delta is well below τ by about η·(1 − β1)/τ times it; FedAdagrad's first step is about
    /// η·(1 − β1), hence its larger η.
    public static func defaults(for kind: ServerOptimizerKind) -> Self {
        let learningRate: Double
        switch kind {
        case .fedavg, .fedavgm: learningRate = 1
        case .fedadam, .fedyogi: learningRate = 0.1
        case .fedadagrad: learningRate = 0.3
        }
        let tau = kind == .fedadam ? 1e-3 : 1e-2
        return Self(kind: kind, learningRate: learningRate, beta1: 0.9, beta2: 0.99, tau: tau)
    }

    /// Self when every field is finite and in range: η in (0, 100], β1 and β2 in [0, 1), τ in (0, 1].
    public func validated() throws(ServerOptimizerError) -> Self {
        guard learningRate > 0, learningRate <= 100 else {
            throw .invalidConfiguration("the learning rate η must be in (0, 100], got \(learningRate)")
        }
        for (name, value) in [("β1", beta1), ("β2", beta2)] where !(value >= 0 && value < 1) {
            throw .invalidConfiguration("\(name) must be in [0, 1), got \(value)")
        }
        guard tau > 0, tau <= 1 else { throw .invalidConfiguration("τ must be in (0, 1], got \(tau)") }
        return self
    }
}
