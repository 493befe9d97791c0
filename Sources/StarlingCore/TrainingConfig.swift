/// Hyper-parameters of one local training run; the seed makes the run reproducible.
///
/// The safeguards (clipping, weight decay, the proximal term) are off by default, and JSON written before they
/// existed decodes with them off.
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
    /// C: each mini-batch gradient (penalties included) is scaled by min(1, C/‖g‖₂); nil for no clipping.
    public var gradientClipNorm: Float?
    /// λ: the L2 penalty (λ/2)‖W‖² on the weight matrices (not the biases), adding λ·W to their gradient.
    public var weightDecay: Float
    /// μ: FedProx's proximal term (μ/2)‖w − w_global‖² on all parameters, adding μ·(w − w_global) to the gradient.
    public var proximalMu: Float

    public init(
        epochs: Int, batchSize: Int, learningRate: Float, momentum: Float, seed: UInt64,
        gradientClipNorm: Float? = nil, weightDecay: Float = 0, proximalMu: Float = 0
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.seed = seed
        self.gradientClipNorm = gradientClipNorm
        self.weightDecay = weightDecay
        self.proximalMu = proximalMu
    }

    /// Decodes the five original fields as required and the safeguards as optional, off when absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            epochs: try container.decode(Int.self, forKey: .epochs),
            batchSize: try container.decode(Int.self, forKey: .batchSize),
            learningRate: try container.decode(Float.self, forKey: .learningRate),
            momentum: try container.decode(Float.self, forKey: .momentum),
            seed: try container.decode(UInt64.self, forKey: .seed),
            gradientClipNorm: try container.decodeIfPresent(Float.self, forKey: .gradientClipNorm),
            weightDecay: try container.decodeIfPresent(Float.self, forKey: .weightDecay) ?? 0,
            proximalMu: try container.decodeIfPresent(Float.self, forKey: .proximalMu) ?? 0)
    }
}

/// What a local training run did, reported to the aggregator alongside the update.
public struct TrainingReport: Sendable, Equatable, Codable {
    /// Mean per-sample cross-entropy over every sample seen during the run (all epochs); after a divergence, over
    /// the steps taken before it (0 if none was).
    public var meanLoss: Double
    /// Number of SGD steps taken.
    public var steps: Int
    /// Number of distinct training rows (the FedAvg weight n_k), not multiplied by epochs.
    public var samples: Int
    /// Why training stopped early, or nil when it ran to the end.
    ///
    /// - Important: when set, the trained model is not usable and no update may be sent for the round.
    public var divergence: Divergence?

    public init(meanLoss: Double, steps: Int, samples: Int, divergence: Divergence? = nil) {
        self.meanLoss = meanLoss
        self.steps = steps
        self.samples = samples
        self.divergence = divergence
    }
}
