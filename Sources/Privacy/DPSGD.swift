import StarlingCore

/// How one private training run goes: Poisson sampling rate q, noise multiplier σ, clipping
/// norm C, the number of steps, and the optimiser.
public struct DPSGDConfiguration: Sendable, Equatable {
    public var samplingRate: Double
    public var noiseMultiplier: Double
    public var clipNorm: Float
    public var steps: Int
    public var learningRate: Float
    public var momentum: Float

    public init(
        samplingRate: Double, noiseMultiplier: Double, clipNorm: Float, steps: Int, learningRate: Float, momentum: Float
    ) {
        self.samplingRate = samplingRate
        self.noiseMultiplier = noiseMultiplier
        self.clipNorm = clipNorm
        self.steps = steps
        self.learningRate = learningRate
        self.momentum = momentum
    }
}

/// What a private training run did.
public struct DPSGDReport: Sendable, Equatable {
    /// Mean loss over the examples the steps sampled.
    public var meanLoss: Double
    public var steps: Int
    /// Examples sampled over all steps (about q·N·steps).
    public var sampledExamples: Int
}

/// Differentially private SGD (Abadi et al. 2016) with Poisson sampling: each step takes every
/// example independently with probability q, clips each example's gradient to norm C, adds
/// N(0, σ²C²) to the sum, and divides by the expected batch size q·N. Sampling and noise both come
/// from a ``SecureRandom`` stream. The privacy it costs is what the accountant computes for
/// (q, σ, steps).
///
/// The noise, divided by q·N, is drawn into fresh storage and the clipped sum, divided by q·N, is
/// accumulated onto it, so noise and division cost no pass over the parameters of their own.
public enum DPSGD {
    public static func train<Network: TrainableModel>(
        _ model: inout Network, on data: Dataset, preprocessing: Preprocessing, configuration: DPSGDConfiguration,
        random: inout SecureRandom
    ) -> DPSGDReport {
        let width = model.inputSize
        precondition(data.featureCount == width, "dataset has \(data.featureCount) features, model expects \(width)")
        precondition(
            (0...1).contains(configuration.samplingRate) && configuration.noiseMultiplier >= 0
                && configuration.clipNorm > 0,
            "DP-SGD needs a sampling rate in [0, 1], a non-negative noise multiplier and a positive clipping norm")
        guard data.count > 0, configuration.steps > 0 else {
            return DPSGDReport(meanLoss: 0, steps: 0, sampledExamples: 0)
        }
        let features = preprocessing.apply(data.features)
        let expectedBatch = configuration.samplingRate * Double(data.count)
        let noiseDeviation = configuration.noiseMultiplier * Double(configuration.clipNorm)
        var optimizer = SGD(
            learningRate: configuration.learningRate, momentum: configuration.momentum,
            parameterCount: model.parameters.count)
        let threshold = UInt64(min(configuration.samplingRate, 1) * 0x1p64.nextDown)
        let scale = Float(1 / expectedBatch)
        var rows: [Int] = []
        var batchFeatures: [Float] = []
        var batchLabels: [Int] = []
        var lossSum: Double = 0
        var sampled = 0
        let workspace = TrainingWorkspace()
        for _ in 0..<configuration.steps {
            poissonSample(count: data.count, threshold: threshold, into: &rows, using: &random)
            batchFeatures.removeAll(keepingCapacity: true)
            batchLabels.removeAll(keepingCapacity: true)
            for row in rows {
                batchFeatures.append(contentsOf: features[(row * width)..<((row + 1) * width)])
                batchLabels.append(data.labels[row])
            }
            let noise = GaussianNoise.samples(
                count: model.parameters.count, standardDeviation: noiseDeviation * Double(scale), using: &random)
            let clipped = model.clippedGradientSum(
                features: batchFeatures, labels: batchLabels, rows: batchLabels.count, clipNorm: configuration.clipNorm,
                scale: scale, addingTo: noise, workspace: workspace)
            lossSum += Double(clipped.lossSum)
            sampled += batchLabels.count
            optimizer.step(parameters: &model.parameters, gradient: clipped.gradient)
        }
        return DPSGDReport(
            meanLoss: sampled > 0 ? lossSum / Double(sampled) : 0, steps: configuration.steps, sampledExamples: sampled)
    }

    /// The rows 0..<count that one step takes: each independently, when its 64-bit word of the
    /// stream is below `threshold` (probability threshold / 2⁶⁴ ≤ q), one word per row in row order.
    private static func poissonSample(
        count: Int, threshold: UInt64, into rows: inout [Int], using random: inout SecureRandom
    ) {
        rows.removeAll(keepingCapacity: true)
        var row = 0
        while row < count {
            row = random.withUnusedKeystream(atLeast: 8) { keystream in
                let first = row
                let last = min(count, first + keystream.count / 8)
                for candidate in first..<last {
                    let word = keystream.loadUnaligned(fromByteOffset: 8 * (candidate - first), as: UInt64.self)
                    if UInt64(littleEndian: word) < threshold { rows.append(candidate) }
                }
                return (8 * (last - first), last)
            }
        }
    }
}
