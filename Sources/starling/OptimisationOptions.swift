import ArgumentParser
import StarlingCore
import StarlingProtocol

/// The optimisation flags of `starling run start`: the local learning-rate schedule and
/// safeguards, FedProx, the server optimizer, the aggregation rule and evaluation during the run.
struct OptimisationOptions: ParsableArguments {
    @Option(
        help: "How the local learning rate moves across rounds: constant, cosine (warm-up, then cosine decay) or step.")
    var lrSchedule: ScheduleKind = .constant

    @Option(help: "With --lr-schedule cosine: rounds of linear warm-up.")
    var warmupRounds: Int = 0

    @Option(help: "With --lr-schedule cosine: the last round's rate as a fraction of --lr.")
    var lrFloor: Double = 0.1

    @Option(help: "With --lr-schedule step: rounds between decays.")
    var lrStepEvery: Int = 5

    @Option(help: "With --lr-schedule step: factor applied at each decay.")
    var lrStepFactor: Double = 0.5

    @Option(
        help:
            "Global L2 norm each local mini-batch gradient is clipped to; 0 turns clipping off (default \(RoundDefaults.gradientClipNorm))."
    )
    var clipGradNorm: Double?

    @Option(help: "L2 weight decay in local training (default \(RoundDefaults.weightDecay)).")
    var weightDecay: Double?

    @Option(help: "FedProx proximal term μ (default \(RoundDefaults.proximalMu), plain local SGD).")
    var proximalMu: Double?

    @Option(
        help:
            "The server optimizer stepping on each round's aggregate: fedavg, fedavgm, fedadam, fedyogi or fedadagrad (default \(RoundDefaults.serverOptimizer.kind.rawValue))."
    )
    var serverOptimizer: ServerOptimizerKind?

    @Option(help: "Server learning rate η (default: the optimizer's).")
    var serverLr: Double?

    @Option(help: "Server β1 (momentum; default: the optimizer's).")
    var beta1: Double?

    @Option(help: "Server β2 (second moment; default: the optimizer's).")
    var beta2: Double?

    @Option(help: "Server adaptivity τ (default: the optimizer's).")
    var tau: Double?

    @Option(
        help: "How plain updates are combined: mean, median or trimmed-mean (median and trimmed-mean need --no-secagg)."
    )
    var aggregation: AggregationKind = .mean

    @Option(help: "With --aggregation trimmed-mean: fraction trimmed at each end of every coordinate.")
    var trim: Double = 0.1

    @Option(help: "Evaluate every K-th version (and the last) on the devices' held-out samples.")
    var evaluateEvery: Int?

    /// The server optimizer as the request carries it; nil keeps the aggregator's default.
    func serverOptimizerConfiguration() -> ServerOptimizerConfiguration? {
        guard serverOptimizer != nil || serverLr != nil || beta1 != nil || beta2 != nil || tau != nil else {
            return nil
        }
        var configuration = ServerOptimizerConfiguration.defaults(
            for: serverOptimizer ?? RoundDefaults.serverOptimizer.kind)
        if let serverLr { configuration.learningRate = serverLr }
        if let beta1 { configuration.beta1 = beta1 }
        if let beta2 { configuration.beta2 = beta2 }
        if let tau { configuration.tau = tau }
        return configuration
    }

    func schedule() throws -> LearningRateSchedule {
        switch lrSchedule {
        case .constant: return .constant
        case .cosine: return .cosine(warmupRounds: warmupRounds, floor: lrFloor)
        case .step: return .step(every: lrStepEvery, factor: lrStepFactor)
        }
    }

    func rule() throws -> AggregationRule {
        switch aggregation {
        case .mean: return .mean
        case .median: return .median
        case .trimmedMean:
            guard trim >= 0, trim < 0.5 else { throw ValidationError("--trim must be in [0, 0.5)") }
            return .trimmedMean(trim: trim)
        }
    }

    /// `--lr-schedule` values.
    enum ScheduleKind: String, ExpressibleByArgument, CaseIterable {
        case constant, cosine, step
    }

    /// `--aggregation` values.
    enum AggregationKind: String, ExpressibleByArgument, CaseIterable {
        case mean, median
        case trimmedMean = "trimmed-mean"
    }
}

extension ServerOptimizerKind: ExpressibleByArgument {}
