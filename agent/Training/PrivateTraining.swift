import Privacy
import StarlingCore
import StarlingProtocol

/// Local differential privacy for a round task: DP-SGD on the device's training split with the
/// noise calibrated so the run costs at most the task's ε at its δ.
///
/// The task's epochs and batch size become Poisson sampling at q = batch / N for
/// epochs·⌈N / batch⌉ steps per round; σ is the smallest noise multiplier whose ε over all the run's
/// rounds fits the task's ε, so every round of the run spends an equal share.
struct PrivateTraining: Sendable, Equatable {
    var samplingRate: Double
    var steps: Int
    var noiseMultiplier: Double
    var clipNorm: Float
    var delta: Double
    /// The ε this round's training costs on its own.
    var epsilon: Double

    init(task: RoundTask, privacy: PrivacyTask, trainingExamples: Int) throws(PrivacyError) {
        let batch = max(1, task.batchSize)
        samplingRate = min(1, Double(batch) / Double(max(1, trainingExamples)))
        steps = task.localEpochs * ((trainingExamples + batch - 1) / batch)
        noiseMultiplier = try NoiseCalibration.noiseMultiplier(
            samplingRate: samplingRate, steps: steps * max(1, privacy.rounds), epsilon: privacy.epsilon,
            delta: privacy.delta)
        clipNorm = Float(privacy.clipNorm)
        delta = privacy.delta
        epsilon = try PrivacyAccountant.guarantee(
            of: [(SampledGaussianMechanism(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier), steps)],
            delta: delta
        ).epsilon
    }

    /// Trains `model` in place with DP-SGD and returns the mean loss over the sampled examples.
    func train(_ model: inout Model, on data: Dataset, preprocessing: Preprocessing, task: RoundTask) -> Double {
        var random = SecureRandom()
        let report = DPSGD.train(
            &model, on: data, preprocessing: preprocessing,
            configuration: DPSGDConfiguration(
                samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, clipNorm: clipNorm, steps: steps,
                learningRate: Float(task.learningRate), momentum: Float(task.momentum)),
            random: &random)
        return report.meanLoss
    }
}
