/// Hyper-parameters of one local training run; the seed makes the run reproducible.
public struct TrainingConfig: Sendable, Equatable, Codable {
    /// Passes over the data.
    public var epochs: Int
    /// Rows per mini-batch (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// SGD step size η.
    public var learningRate: Float
    /// SGD momentum μ.
    public var momentum: Float
    /// Seed of the mini-batch shuffles.
    public var seed: UInt64

    public init(epochs: Int, batchSize: Int, learningRate: Float, momentum: Float, seed: UInt64) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.seed = seed
    }
}

/// What a local training run did, reported to the aggregator alongside the update.
public struct TrainingReport: Sendable, Equatable, Codable {
    /// Mean per-sample cross-entropy over every sample seen during the run (all epochs).
    public var meanLoss: Double
    /// Number of SGD steps taken.
    public var steps: Int
    /// Number of distinct training rows (the FedAvg weight n_k), not multiplied by epochs.
    public var samples: Int

    public init(meanLoss: Double, steps: Int, samples: Int) {
        self.meanLoss = meanLoss
        self.steps = steps
        self.samples = samples
    }
}
