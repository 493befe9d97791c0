import StarlingCore
import StarlingProtocol

/// One device's share of a federated evaluation: the base version's loss and confusion matrix on
/// the held-out split, without training.
enum LocalEvaluation {
    static func run(base: ModelBundle, eval: [LabelledSample]) -> LocalResult<EvaluationFigures> {
        let evalSet = LabelledDataset.make(eval, for: base.manifest)
        guard evalSet.count > 0 else {
            return .noData(LabelledDataset.noFit(eval.count, for: base.manifest, split: "held-out"))
        }
        let counts = base.model.evaluate(
            features: base.manifest.preprocessing.apply(evalSet.features), labels: evalSet.labels, rows: evalSet.count)
        let classes = base.manifest.architecture.outputSize
        return .contribute(
            EvaluationFigures(
                samples: counts.samples, accuracy: counts.accuracy,
                loss: counts.meanLoss.isFinite ? counts.meanLoss : nil,
                confusion: classes <= SecureMetricsLayout.maximumConfusionClasses ? counts.confusion : nil))
    }
}
