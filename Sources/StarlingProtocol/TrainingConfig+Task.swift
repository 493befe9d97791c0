import StarlingCore

extension TrainingConfig {
    /// The local training a round task asks for; a task without training settings trains as plain
    /// momentum SGD, as tasks did before they carried any.
    public init(task: RoundTask) {
        let settings = task.training
        self.init(
            epochs: task.localEpochs, batchSize: max(1, task.batchSize), learningRate: Float(task.learningRate),
            momentum: Float(task.momentum), seed: task.seed,
            gradientClipNorm: settings?.gradientClipNorm.map { Float($0) },
            weightDecay: Float(settings?.weightDecay ?? 0),
            proximalMu: Float(settings?.proximalMu ?? 0))
    }
}
