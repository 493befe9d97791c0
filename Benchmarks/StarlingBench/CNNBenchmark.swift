import Foundation
import Privacy
import Quantization
import StarlingCore

/// Convolutional models: a LeNet-5-style network on 28×28×1 and a DS-CNN keyword-spotting network
/// on 49×10×1 MFCC-shaped input (about 25k parameters, group normalisation in place of batch
/// normalisation). For each: the fp32 training step on a batch of 32 (`lossAndGradient` +
/// `SGD.step`, through one ``TrainingWorkspace`` as the training loops run it), the DP-SGD step on the same batch (Gaussian noise for every parameter, then the
/// per-example clipped gradients from ``LayerNetwork/clippedGradientSum``, then `SGD.step`) and their
/// ratio, interleaved so load falls on both alike; and int8 phase one (``Int8LayerNetwork`` on the
/// best kernel path) against fp32 at batch 1 (p50) and batch 64 (rows/s). OpenBLAS on 1 thread.
/// With an export directory, each network's description, weights and fp32 probabilities on two
/// inputs go to `cnn_<name>.json` for Benchmarks/cnn_peer.py (ONNX Runtime and PyTorch on the same
/// weights), which runs this suite again one model and one part at a time (`models`, `parts`),
/// alternating with the peers, so that a machine whose speed drifts slows both sides of a ratio.
struct CNNBenchmark {
    /// The figures of a model: the training steps, or int8 phase one against fp32.
    enum Part: String, CaseIterable {
        case training
        case inference
    }

    var quick: Bool
    var exportDirectory: URL?
    var models = ["lenet5", "dscnn"]
    var parts = Set(Part.allCases)

    /// What Benchmarks/cnn_peer.py rebuilds the network from and checks it against.
    private struct Export: Encodable {
        var description: NetworkDescription
        var parameters: [Float]
        var inputs: [Float]
        var probabilities: [Float]
    }

    private static let batch = 32
    private static let clipNorm: Float = 1

    /// Benchmarks/models, where the two networks are described as `starling model create
    /// --arch-file` reads them.
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models")

    /// The network described in Benchmarks/models/`name`.json.
    static func description(_ name: String) throws -> NetworkDescription {
        try NetworkDescription(json: Data(contentsOf: models.appendingPathComponent("\(name).json")))
    }

    func run() throws {
        for name in models {
            try measure(name, Self.description(name).layout())
        }
    }

    private func measure(_ name: String, _ layout: NetworkLayout) throws {
        let network = LayerNetwork(layout: layout, seed: 42)
        var rng = SeededRNG(seed: 43)
        let features = (0..<(64 * layout.inputSize)).map { _ in Float(rng.nextGaussian()) }
        if let exportDirectory {
            let inputs = Array(features[0..<(2 * layout.inputSize)])
            let export = Export(
                description: layout.description, parameters: network.parameters, inputs: inputs,
                probabilities: network.probabilities(features: inputs, rows: 2))
            try JSONEncoder().encode(export).write(to: exportDirectory.appendingPathComponent("cnn_\(name).json"))
        }
        if parts.contains(.training) { measureTraining(name, layout, network: network, features: features, rng: &rng) }
        if parts.contains(.inference) { measureInference(name, layout, network: network, features: features) }
    }

    /// The fp32 training step and the DP-SGD step on a batch of 32, interleaved.
    private func measureTraining(
        _ name: String, _ layout: NetworkLayout, network: LayerNetwork, features: [Float], rng: inout SeededRNG
    ) {
        let batch = Self.batch
        let trainFeatures = Array(features[0..<(batch * layout.inputSize)])
        let labels = (0..<batch).map { _ in rng.nextInt(below: layout.classes) }
        let calls = quick ? 5 : 40
        let repeats = quick ? 3 : 7
        var random = SecureRandom(key: [UInt8](repeating: 7, count: 32))
        var sink: Float = 0
        var plain = network
        var plainOptimizer = SGD(learningRate: 0.01, momentum: 0, parameterCount: network.parameters.count)
        var privateNetwork = network
        var privateOptimizer = plainOptimizer
        let scale = 1 / Float(batch)
        let (plainWorkspace, privateWorkspace) = (TrainingWorkspace(), TrainingWorkspace())
        let rates = Stopwatch.interleavedThroughput(
            rows: batch, calls: calls, repeats: repeats,
            [
                {
                    let step = plain.lossAndGradient(
                        features: trainFeatures, labels: labels, rows: batch, workspace: plainWorkspace)
                    plainOptimizer.step(parameters: &plain.parameters, gradient: step.gradient)
                    sink += step.loss
                },
                {
                    let noise = GaussianNoise.samples(
                        count: network.parameters.count, standardDeviation: Double(Self.clipNorm * scale),
                        using: &random)
                    let clipped = privateNetwork.clippedGradientSum(
                        features: trainFeatures, labels: labels, rows: batch, clipNorm: Self.clipNorm, scale: scale,
                        addingTo: noise, workspace: privateWorkspace)
                    privateOptimizer.step(parameters: &privateNetwork.parameters, gradient: clipped.gradient)
                    sink += clipped.lossSum
                },
            ])
        let setting =
            "\(layout.parameterCount) parameters, batch \(batch), 1 OpenBLAS thread, best of \(repeats) × \(calls), interleaved"
        BenchLine(
            "cnn", "train_step_\(name)", rates[0], "examples/s", note: "fp32 lossAndGradient + SGD.step; \(setting)"
        ).emit()
        BenchLine(
            "cnn", "dp_step_\(name)", rates[1], "examples/s", note: "noise + clippedGradientSum + SGD.step; \(setting)"
        ).emit()
        BenchLine(
            "cnn", "dp_step_cost_\(name)", rates[0] / rates[1], "x",
            note: "DP-SGD step time / plain step time; target <= 1.5"
        )
        .emit()
        if sink.isNaN { print("") }  // keeps the work observable
    }

    /// Int8 phase one against fp32 at batch 1 (p50) and batch 64 (rows/s).
    private func measureInference(_ name: String, _ layout: NetworkLayout, network: LayerNetwork, features: [Float]) {
        var sink: Float = 0
        let repeats = quick ? 3 : 7
        let int8 = Int8LayerNetwork(network: network)
        let workspace = Int8LayerNetwork.Workspace(network: int8, maximumRows: 64)
        let one = Array(features[0..<layout.inputSize])
        let iterations = quick ? 200 : 2_000
        let floatLatency = Stopwatch.latency(iterations: iterations, warmup: iterations / 10) {
            sink += network.probabilities(features: one, rows: 1)[0]
        }
        let int8Latency = Stopwatch.latency(iterations: iterations, warmup: iterations / 10) {
            sink += int8.probabilities(features: one, rows: 1, workspace: workspace)[0]
        }
        BenchLine("cnn", "fp32_batch1_p50_\(name)", floatLatency.p50 / 1000, "us", note: "LayerNetwork.probabilities")
            .emit()
        var line = BenchLine(
            "cnn", "int8_batch1_p50_\(name)", int8Latency.p50 / 1000, "us",
            note: "Int8LayerNetwork on \(int8.path) with a workspace; ratio: int8 / fp32")
        line.peer = "starling_fp32"
        line.ratio = int8Latency.p50 / floatLatency.p50
        line.emit()
        let floatRate = Stopwatch.throughput(rows: 64, calls: quick ? 3 : 20, repeats: repeats) {
            sink += network.probabilities(features: features, rows: 64)[0]
        }
        let int8Rate = Stopwatch.throughput(rows: 64, calls: quick ? 3 : 20, repeats: repeats) {
            sink += int8.probabilities(features: features, rows: 64, workspace: workspace)[0]
        }
        BenchLine("cnn", "fp32_batch64_\(name)", floatRate, "rows/s", note: "LayerNetwork.probabilities").emit()
        line = BenchLine(
            "cnn", "int8_batch64_\(name)", int8Rate, "rows/s",
            note: "Int8LayerNetwork on \(int8.path); ratio: int8 / fp32")
        line.peer = "starling_fp32"
        line.ratio = int8Rate / floatRate
        line.emit()
        if sink.isNaN { print("") }  // keeps the work observable
    }
}
