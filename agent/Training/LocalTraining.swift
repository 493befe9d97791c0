import StarlingCore
import StarlingProtocol

/// One device's share of a federated round: train a copy of the base model on the local training
/// split with the task's settings, evaluate it on the held-out split, and return the update.
enum LocalTraining {
    /// Nil when no local sample fits the model (nothing to contribute). With `privateRun` the
    /// training is DP-SGD as it describes; otherwise plain mini-batch SGD.
    static func run(
        base: ModelBundle, task: RoundTask, train: [LabelledSample], eval: [LabelledSample],
        privateRun: PrivateTraining? = nil
    ) throws(ModelError) -> ModelUpdate? {
        let trainSet = LabelledDataset.make(train, for: base.manifest)
        guard trainSet.count > 0 else { return nil }
        let evalSet = LabelledDataset.make(eval, for: base.manifest)
        let preprocessing = base.manifest.preprocessing
        var model = base.model
        let loss: Double
        if let privateRun {
            loss = privateRun.train(&model, on: trainSet, preprocessing: preprocessing, task: task)
        } else {
            loss = Trainer.train(
                &model, on: trainSet, preprocessing: preprocessing,
                config: TrainingConfig(
                    epochs: task.localEpochs, batchSize: max(1, task.batchSize), learningRate: Float(task.learningRate),
                    momentum: Float(task.momentum), seed: task.seed)
            ).meanLoss
        }
        return try ModelUpdate(
            base: base.model, trained: model, trainSamples: trainSet.count, trainLoss: loss,
            evalSamples: evalSet.count,
            evalAccuracy: Trainer.accuracy(of: model, on: evalSet, preprocessing: preprocessing))
    }
}
