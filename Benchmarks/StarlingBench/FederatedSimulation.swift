import Privacy
import SecureAggregation
import StarlingCore
import StarlingProtocol

/// Federated training of one model over in-process devices, through the code the fleet runs: the
/// devices' statistics summed in SecAgg+ words into a profile, preprocessing chosen from it, each
/// round's task built from the run's settings and trained with the agent's training configuration,
/// the updates summed in SecAgg+ fixed point (the masks cancel exactly, so they are left out), and
/// the server optimizer stepping on the decoded average.
struct FederatedSimulation {
    /// The run's local settings: the defaults of `starling round start` unless a sweep overrides them.
    struct Settings: Codable {
        var localEpochs = RoundDefaults.localEpochs
        var learningRate = RoundDefaults.learningRate
        var momentum = RoundDefaults.momentum
        var batchSize = RoundDefaults.batchSize
        var gradientClipNorm = RoundDefaults.gradientClipNorm
        var weightDecay = RoundDefaults.weightDecay
        var proximalMu = RoundDefaults.proximalMu
        var learningRateSchedule = RoundDefaults.learningRateSchedule
        var preprocess = PreprocessingKind.auto
        /// Replaces the defaults' server optimizer.
        var serverOptimizer = RoundDefaults.serverOptimizer

        init() {}

        /// Fields left out keep their defaults.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Settings()
            localEpochs = try c.decodeIfPresent(Int.self, forKey: .localEpochs) ?? defaults.localEpochs
            learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
            momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? defaults.momentum
            batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? defaults.batchSize
            gradientClipNorm =
                try c.decodeIfPresent(Double.self, forKey: .gradientClipNorm) ?? defaults.gradientClipNorm
            weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? defaults.weightDecay
            proximalMu = try c.decodeIfPresent(Double.self, forKey: .proximalMu) ?? defaults.proximalMu
            learningRateSchedule =
                try c.decodeIfPresent(LearningRateSchedule.self, forKey: .learningRateSchedule)
                ?? defaults.learningRateSchedule
            preprocess = try c.decodeIfPresent(PreprocessingKind.self, forKey: .preprocess) ?? defaults.preprocess
            serverOptimizer =
                try c.decodeIfPresent(ServerOptimizerConfiguration.self, forKey: .serverOptimizer)
                ?? defaults.serverOptimizer
        }
    }

    var architecture: ModelArchitecture
    var devices: [Dataset]
    var test: Dataset
    var rounds: Int
    var serverOptimizer: ServerOptimizerConfiguration
    var settings = Settings()
    var seed: UInt64

    /// What a simulated run did.
    struct Outcome {
        var accuracyByRound: [Double]
        /// Device updates left out because their training diverged.
        var divergedUpdates: Int
        /// True when the global model itself became unusable.
        var diverged: Bool
        var preprocessing: Preprocessing
        /// The global model after the last round; nil when it diverged.
        var model: Model?
    }

    func run() throws -> Outcome {
        let preprocessing = Preprocessing.fitted(settings.preprocess, from: try profile())
        var model = Model(architecture: architecture, seed: seed)
        var optimizer = try ServerOptimizer(configuration: serverOptimizer)
        var accuracies: [Double] = []
        var divergedUpdates = 0
        for round in 1...rounds {
            let task = self.task(round: round)
            var encoded: [[UInt32]] = []
            let parameters = try secureParameters()
            let codec = FixedPointCodec(parameters)
            for (index, device) in devices.enumerated() where device.count > 0 {
                var local = model
                var deviceTask = task
                deviceTask.seed = task.seed &+ UInt64(index)
                let report = Trainer.train(
                    &local, on: device, preprocessing: preprocessing, config: TrainingConfig(task: deviceTask))
                guard report.divergence == nil, local.parameters.allSatisfy(\.isFinite) else {
                    divergedUpdates += 1
                    continue
                }
                let weight = Float(SecureMetricsLayout.weight(device.count, cap: SecureMetricsLayout.weightCap))
                let values = zip(local.parameters, model.parameters).map { weight * ($0 - $1) } + [weight]
                var rng = SeededRNG(seed: deviceTask.seed)
                encoded.append(codec.encode(values, using: &rng))
            }
            guard !encoded.isEmpty else {
                return Outcome(
                    accuracyByRound: accuracies, divergedUpdates: divergedUpdates, diverged: true,
                    preprocessing: preprocessing)
            }
            var sum = [UInt32](repeating: 0, count: encoded[0].count)
            for vector in encoded {
                for index in sum.indices { sum[index] &+= vector[index] }
            }
            let totals = codec.decodeSum(sum, summands: encoded.count)
            let totalWeight = totals[totals.count - 1]
            let average = totals.dropLast().map { Float($0 / totalWeight) }
            model.parameters = try optimizer.step(parameters: model.parameters, averageDelta: average)
            guard model.parameters.allSatisfy(\.isFinite) else {
                return Outcome(
                    accuracyByRound: accuracies, divergedUpdates: divergedUpdates, diverged: true,
                    preprocessing: preprocessing)
            }
            accuracies.append(Trainer.accuracy(of: model, on: test, preprocessing: preprocessing))
        }
        return Outcome(
            accuracyByRound: accuracies, divergedUpdates: divergedUpdates, diverged: false,
            preprocessing: preprocessing,
            model: model)
    }

    /// The fleet profile: each device's statistics as SecAgg+ words, summed with wrap-around and
    /// decoded, as the aggregator's unmasked sum would be.
    func profile() throws -> FeatureProfile {
        let grid = LogBucketGrid.standard
        var sum: [UInt32]?
        for device in devices where device.count > 0 {
            var statistics = FeatureStatistics(width: architecture.inputSize, grid: grid)
            statistics.add(features: device.features, rows: device.count)
            let words = try FeatureStatisticsLayout.encode(statistics).words
            if var total = sum {
                for index in total.indices { total[index] &+= words[index] }
                sum = total
            } else {
                sum = words
            }
        }
        let (statistics, count) = try FeatureStatisticsLayout.decodeSum(
            sum ?? [], width: architecture.inputSize, grid: grid)
        return try FeatureProfile(name: "simulation", version: 1, statistics: statistics, devices: count)
    }

    /// Round `round`'s task, as the aggregator would issue it with the run's settings.
    private func task(round: Int) -> RoundTask {
        let learningRate =
            (try? settings.learningRateSchedule.learningRate(
                base: settings.learningRate, round: round, totalRounds: rounds)) ?? settings.learningRate
        return RoundTask(
            runId: "simulation", round: round, model: "simulation", baseVersion: round, sha256: "",
            localEpochs: settings.localEpochs, learningRate: learningRate, momentum: settings.momentum,
            batchSize: settings.batchSize, deadline: .distantFuture, seed: seed &+ UInt64(round) &* 7919,
            training: LocalTrainingSettings(
                gradientClipNorm: settings.gradientClipNorm > 0 ? settings.gradientClipNorm : nil,
                weightDecay: settings.weightDecay, proximalMu: settings.proximalMu))
    }

    private func secureParameters() throws -> SecAggParameters {
        try SecAggParameters(
            roundId: "simulation", clientCount: devices.count, threshold: devices.count / 2 + 1,
            vectorLength: architecture.parameterCount + 1, clippingRange: 1, graphSeed: seed)
    }
}
