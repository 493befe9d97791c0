/// The local training loop and evaluation used by agents and tests.
///
/// Features are standardised once, then each epoch visits a seeded shuffle of the rows in mini-batches,
/// taking one momentum-SGD step on the batch-mean gradient per batch (with the penalties and clipping of
/// `LocalObjective` when the config asks for them). A run whose loss or parameters stop being finite, or whose
/// loss explodes past `Divergence.lossLimit`, stops there and says so in `TrainingReport.divergence`.
public enum Trainer {
    /// Trains `model` in place on `data` (raw features, transformed by `preprocessing`).
    /// The optimiser's velocity starts at zero for each call. An empty dataset or zero epochs leaves
    /// the model unchanged.
    ///
    /// The batch loss is checked at every step and the parameters at the end of every epoch.
    /// - Important: when the report has a `divergence`, the model is not usable: send no update from it.
    public static func train<Model: TrainableModel>(
        _ model: inout Model, on data: Dataset, preprocessing: Preprocessing, config: TrainingConfig
    ) -> TrainingReport {
        let width = model.inputSize
        precondition(data.featureCount == width, "dataset has \(data.featureCount) features, model expects \(width)")
        precondition(preprocessing.featureCount == width, "preprocessing width differs from the model's inputs")
        precondition(config.batchSize > 0, "batchSize must be positive")
        precondition(config.epochs >= 0, "epochs must be non-negative")
        precondition(config.gradientClipNorm.map { $0 > 0 && $0.isFinite } ?? true, "gradientClipNorm must be positive")
        precondition(config.weightDecay >= 0 && config.weightDecay.isFinite, "weightDecay must be non-negative")
        precondition(config.proximalMu >= 0 && config.proximalMu.isFinite, "proximalMu must be non-negative")
        guard data.count > 0, config.epochs > 0 else {
            return TrainingReport(meanLoss: 0, steps: 0, samples: data.count)
        }

        let features = preprocessing.apply(data.features)
        var optimizer = SGD(
            learningRate: config.learningRate, momentum: config.momentum,
            parameterCount: model.parameters.count)
        var rng = SeededRNG(seed: config.seed)
        var order = Array(0..<data.count)
        var batchFeatures: [Float] = []
        var batchLabels: [Int] = []
        batchFeatures.reserveCapacity(config.batchSize * width)
        batchLabels.reserveCapacity(config.batchSize)
        let objective = LocalObjective(config: config, model: model)
        let workspace = TrainingWorkspace()
        var totalLoss: Double = 0
        var samplesSeen = 0
        var steps = 0
        func report(_ divergence: Divergence? = nil) -> TrainingReport {
            TrainingReport(
                meanLoss: samplesSeen == 0 ? 0 : totalLoss / Double(samplesSeen), steps: steps, samples: data.count,
                divergence: divergence)
        }

        for epoch in 1...config.epochs {
            rng.shuffle(&order)
            var start = 0
            while start < order.count {
                let end = min(start + config.batchSize, order.count)
                batchFeatures.removeAll(keepingCapacity: true)
                batchLabels.removeAll(keepingCapacity: true)
                for row in order[start..<end] {
                    batchFeatures.append(contentsOf: features[(row * width)..<((row + 1) * width)])
                    batchLabels.append(data.labels[row])
                }
                var (loss, gradient) = model.lossAndGradient(
                    features: batchFeatures, labels: batchLabels, rows: end - start, workspace: workspace)
                guard loss.isFinite, loss <= Divergence.lossLimit else {
                    return report(.loss(loss, step: steps + 1, epoch: epoch))
                }
                objective?.adjust(&gradient, at: model.parameters)
                optimizer.step(parameters: &model.parameters, gradient: gradient)
                totalLoss += Double(loss) * Double(end - start)
                samplesSeen += end - start
                steps += 1
                start = end
            }
            if let index = model.parameters.firstIndex(where: { !$0.isFinite }) {
                return report(.parameter(index, value: model.parameters[index], step: steps, epoch: epoch))
            }
        }
        return report()
    }

    /// Fraction of rows whose most probable class equals the label (0 for an empty set).
    public static func accuracy(of model: some TrainableModel, on data: Dataset, preprocessing: Preprocessing) -> Double
    {
        guard data.count > 0 else { return 0 }
        let classes = model.classCount
        let probabilities = model.probabilities(features: preprocessing.apply(data.features), rows: data.count)
        var correct = 0
        for row in 0..<data.count {
            let scores = probabilities[(row * classes)..<((row + 1) * classes)]
            if let best = scores.indices.max(by: { scores[$0] < scores[$1] }), best - row * classes == data.labels[row]
            {
                correct += 1
            }
        }
        return Double(correct) / Double(data.count)
    }
}
