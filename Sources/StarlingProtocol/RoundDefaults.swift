import StarlingCore

/// The settings a training run uses for whatever its request leaves out, in one place for the
/// aggregator, the CLI's help and the demo.
///
/// Chosen on the quality benchmark (`make bench`, suite `quality`, docs/quality.md): with these and a
/// model created from a feature profile with automatic preprocessing, every benchmark dataset and
/// partition reaches its target without per-dataset flags.
public enum RoundDefaults {
    public static let localEpochs = 5
    public static let learningRate = 0.02
    public static let momentum = 0.9
    public static let batchSize = 8
    public static let gradientClipNorm = 5.0
    public static let weightDecay = 0.0
    public static let proximalMu = 0.0
    public static let learningRateSchedule = LearningRateSchedule.constant
    /// FedAdam (Reddi et al. 2021) with η = 0.1, τ = 10⁻²: on the benchmark its worst Dirichlet α = 0.1
    /// run keeps more of the centralised accuracy than FedAvg's, and it is as good elsewhere.
    public static let serverOptimizer = ServerOptimizerConfiguration.defaults(for: .fedadam)
}
