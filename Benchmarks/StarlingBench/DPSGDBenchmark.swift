import Foundation
import Privacy
import StarlingCore

/// What differential privacy costs in training: examples per second of one plain SGD step
/// (`lossAndGradient` + `SGD.step`) and of one DP-SGD step on the same fixed batch of 64 (N(0, σ²C²)
/// noise for every parameter from ``SecureRandom``, divided by 64, onto which `clippedGradientSum`
/// accumulates the per-example clipped gradients divided by 64, then `SGD.step`: what
/// ``DPSGD/train`` does per step), their ratio, the clipping and the noise on their own, and whole
/// Poisson-sampled ``DPSGD/train`` runs. Seeded weights and N(0, 1) inputs; OpenBLAS on 1 thread.
/// Figures are named as Benchmarks/opacus_peer.py names Opacus's.
struct DPSGDBenchmark {
    var quick: Bool

    private static let batch = 64
    private static let clipNorm: Float = 1
    private static let noiseMultiplier = 1.0
    private static let learningRate: Float = 0.01
    /// Poisson runs sample from 100 batches' worth of examples with q = 0.01 (expected batch 64).
    private static let poissonBatches = 100

    func run() throws {
        for architecture in ["64-32-10", "784-128-64-10"] {
            try measure(architecture)
        }
    }

    private func measure(_ text: String) throws {
        let architecture = try ModelArchitecture(parsing: text)
        let name = text.replacingOccurrences(of: "-", with: "_")
        let batch = Self.batch
        let initial = MLP(architecture: architecture, seed: 42)
        var rng = SeededRNG(seed: 44)
        let features = (0..<(batch * architecture.inputSize)).map { _ in Float(rng.nextGaussian()) }
        let labels = (0..<batch).map { _ in rng.nextInt(below: architecture.outputSize) }
        let calls = (architecture.parameterCount < 10_000 ? 2_000 : 200) / (quick ? 10 : 1)
        let repeats = quick ? 3 : 9
        let deviation = Self.noiseMultiplier * Double(Self.clipNorm)
        let scale = 1 / Float(batch)
        var random = SecureRandom(key: [UInt8](repeating: 7, count: 32))
        var sink: Float = 0

        var plainModel = initial
        var plainOptimizer = SGD(learningRate: Self.learningRate, momentum: 0, parameterCount: initial.parameters.count)
        var privateModel = initial
        var privateOptimizer = plainOptimizer
        var clippedModel = initial
        var clippedOptimizer = plainOptimizer
        let rates = Stopwatch.interleavedThroughput(
            rows: batch, calls: calls, repeats: repeats,
            [
                {
                    let step = plainModel.lossAndGradient(features: features, labels: labels, rows: batch)
                    plainOptimizer.step(parameters: &plainModel.parameters, gradient: step.gradient)
                    sink += step.loss
                },
                {
                    let noise = GaussianNoise.samples(
                        count: initial.parameters.count, standardDeviation: deviation * Double(scale), using: &random)
                    let clipped = privateModel.clippedGradientSum(
                        features: features, labels: labels, rows: batch, clipNorm: Self.clipNorm, scale: scale,
                        addingTo: noise)
                    privateOptimizer.step(parameters: &privateModel.parameters, gradient: clipped.gradient)
                    sink += clipped.lossSum
                },
                {
                    let clipped = clippedModel.clippedGradientSum(
                        features: features, labels: labels, rows: batch, clipNorm: Self.clipNorm, scale: scale)
                    clippedOptimizer.step(parameters: &clippedModel.parameters, gradient: clipped.gradient)
                    sink += clipped.lossSum
                },
                {
                    let noise = GaussianNoise.samples(
                        count: initial.parameters.count, standardDeviation: deviation, using: &random)
                    sink += noise[0]
                },
            ])
        let (plainRate, privateRate, clippedRate, noiseRate) = (rates[0], rates[1], rates[2], rates[3])

        let setting =
            "\(text) ReLU, batch \(batch), SGD lr \(Self.learningRate), 1 OpenBLAS thread, best of \(repeats) × \(calls) steps, interleaved"
        BenchLine(
            "dpsgd", "plain_step_\(name)", plainRate, "examples/s",
            note: "lossAndGradient + SGD.step; \(setting)"
        ).emit()
        BenchLine(
            "dpsgd", "dp_step_\(name)", privateRate, "examples/s",
            note:
                "SecureRandom Gaussian noise (σ \(Self.noiseMultiplier)) / \(batch) + clippedGradientSum (C \(Self.clipNorm)) / \(batch) + SGD.step; \(setting)"
        ).emit()
        BenchLine(
            "dpsgd", "dp_noise_\(name)", 1e6 * Double(batch) / noiseRate, "us",
            note: "GaussianNoise.samples for all \(initial.parameters.count) parameters, once per DP step"
        ).emit()
        BenchLine(
            "dpsgd", "dp_step_cost_\(name)", plainRate / privateRate, "x",
            note: "DP-SGD time per step / plain SGD time per step, same batch; target <= 1.5"
        ).emit()
        BenchLine(
            "dpsgd", "dp_clip_cost_\(name)", plainRate / clippedRate, "x",
            note: "the DP-SGD step without its noise (clippedGradientSum / \(batch) + SGD.step) / plain SGD step"
        ).emit()

        poisson(architecture: architecture, name: name, initial: initial, steps: calls, repeats: repeats)
        if sink.isNaN { print("") }  // keeps the work observable
    }

    /// Best of `repeats` whole ``DPSGD/train`` runs of `steps` steps with Poisson sampling, q = 0.01
    /// over 6400 seeded examples; the rate counts the examples actually sampled.
    private func poisson(architecture: ModelArchitecture, name: String, initial: MLP, steps: Int, repeats: Int) {
        let count = Self.batch * Self.poissonBatches
        var rng = SeededRNG(seed: 45)
        let data = Dataset(
            featureCount: architecture.inputSize,
            features: (0..<(count * architecture.inputSize)).map { _ in Float(rng.nextGaussian()) },
            labels: (0..<count).map { _ in rng.nextInt(below: architecture.outputSize) })
        let configuration = DPSGDConfiguration(
            samplingRate: 1 / Double(Self.poissonBatches), noiseMultiplier: Self.noiseMultiplier,
            clipNorm: Self.clipNorm,
            steps: steps, learningRate: Self.learningRate, momentum: 0)
        let preprocessing = Preprocessing.identity(featureCount: architecture.inputSize)
        var random = SecureRandom(key: [UInt8](repeating: 9, count: 32))
        var best = 0.0
        for _ in 0..<repeats {
            var model = initial
            let start = Stopwatch.now()
            let report = DPSGD.train(
                &model, on: data, preprocessing: preprocessing, configuration: configuration, random: &random)
            let seconds = Double(Stopwatch.now() - start) / 1e9
            best = max(best, Double(report.sampledExamples) / seconds)
        }
        BenchLine(
            "dpsgd", "dp_train_poisson_\(name)", best, "examples/s",
            note:
                "DPSGD.train, \(steps) steps, Poisson q \(configuration.samplingRate) over \(count) examples (expected batch \(Self.batch)), "
                + "sampling and noise from SecureRandom; best of \(repeats)"
        ).emit()
    }
}
