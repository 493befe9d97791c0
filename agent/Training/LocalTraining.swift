import StarlingCore
import StarlingProtocol

/// One device's share of a federated training round: train a copy of the base model on the local
/// training split with the task's settings, evaluate it on the held-out split, and return the
/// update; or, when nothing fits the model or training diverges, the failure to report instead.
enum LocalTraining {
    /// With `privateRun` the training is DP-SGD as it describes; otherwise mini-batch SGD with the
    /// task's clipping, weight decay and proximal term.
    static func run(
        base: ModelBundle, task: RoundTask, train: [LabelledSample], eval: [LabelledSample],
        privateRun: PrivateTraining? = nil
    ) throws(ModelError) -> LocalResult<ModelUpdate> {
        let trainSet = LabelledDataset.make(train, for: base.manifest)
        guard trainSet.count > 0 else {
            return .noData(LabelledDataset.noFit(train.count, for: base.manifest))
        }
        let evalSet = LabelledDataset.make(eval, for: base.manifest)
        let preprocessing = base.manifest.preprocessing
        var model = base.model
        let loss: Double
        if let privateRun {
            loss = privateRun.train(&model, on: trainSet, preprocessing: preprocessing, task: task)
        } else {
            let report = Trainer.train(
                &model, on: trainSet, preprocessing: preprocessing, config: TrainingConfig(task: task))
            if let divergence = report.divergence {
                return .fail(ClientFailureReport(reason: .diverged, detail: divergence.reason))
            }
            loss = report.meanLoss
        }
        guard loss.isFinite else {
            return .fail(ClientFailureReport(reason: .diverged, detail: "the training loss became \(loss)"))
        }
        guard LargestMagnitude.allFinite(model.parameters) else {
            return .fail(
                ClientFailureReport(reason: .diverged, detail: "the trained weights hold NaN or infinite values"))
        }
        let update = try ModelUpdate(
            base: base.model, trained: model, trainSamples: trainSet.count, trainLoss: loss,
            evalSamples: evalSet.count,
            evalAccuracy: Trainer.accuracy(of: model, on: evalSet, preprocessing: preprocessing))
        // Finite weights can still differ by more than float32 holds; such a delta is never sent
        // (under SecAgg+ it would be encoded as zero and spoil the fleet's sum unnoticed).
        guard LargestMagnitude.allFinite(update.delta.parameters), update.evalAccuracy.isFinite else {
            return .fail(
                ClientFailureReport(reason: .diverged, detail: "the update holds values that are not finite"))
        }
        return .contribute(update)
    }
}
