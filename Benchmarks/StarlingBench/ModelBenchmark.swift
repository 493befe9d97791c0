import Foundation
import Quantization
import StarlingCore

/// Batch-1 latency and batch-64 throughput of one MLP: fp32 (OpenBLAS through StarlingCore) and
/// int8 on every supported kernel path, with seeded random weights and inputs.
struct ModelBenchmark {
    let architecture: String
    let quick: Bool

    var benchName: String { "mlp_" + architecture.replacingOccurrences(of: "-", with: "_") }

    /// A seeded random fp32 bundle with identity preprocessing (inputs are already N(0, 1)).
    func bundle() throws -> ModelBundle {
        let parsed = try ModelArchitecture(parsing: architecture)
        var model = MLP(architecture: parsed, seed: 42)
        var rng = SeededRNG(seed: 43)
        for layer in model.namedTensorsLayout where layer.isBias {
            for index in layer.range { model.parameters[index] = Float(rng.nextGaussian()) * 0.05 }
        }
        let manifest = try ModelManifest(
            name: benchName, version: 1, architecture: parsed, labels: (0..<parsed.outputSize).map(String.init),
            preprocessing: .identity(featureCount: parsed.inputSize), confidenceThreshold: 0.5)
        return try ModelBundle(manifest: manifest, model: .dense(model))
    }

    func run(exportDirectory: URL?) throws {
        let fp32 = try bundle()
        if let exportDirectory {
            try Data(fp32.encoded()).write(to: exportDirectory.appendingPathComponent("\(benchName).safetensors"))
        }
        let inputs = fp32.manifest.architecture.inputSize, outputs = fp32.manifest.architecture.outputSize
        var rng = SeededRNG(seed: 44)
        let batch = (0..<(64 * inputs)).map { _ in Float(rng.nextGaussian()) }
        let single = Array(batch[0..<inputs])
        let iterations = quick ? 2_000 : 20_000
        let calls = quick ? 200 : 2_000

        let model = fp32.model
        var sink: Float = 0
        let fp32Latency = Stopwatch.latency(iterations: iterations, warmup: iterations / 10) {
            sink += model.probabilities(features: single, rows: 1)[0]
        }
        let fp32Rate = Stopwatch.throughput(rows: 64, calls: calls, repeats: 9) {
            sink += model.probabilities(features: batch, rows: 64)[0]
        }
        report(kind: "fp32_openblas", latency: fp32Latency, rate: fp32Rate)

        let int8 = try Int8Bundle(quantizing: fp32)
        var output = [Float](repeating: 0, count: 64 * outputs)
        for path in Int8KernelPath.supported {
            let predictor = Int8Predictor(bundle: int8, path: path, maximumRows: 64)
            let (latency, rate) = batch.withUnsafeBufferPointer { features in
                output.withUnsafeMutableBufferPointer { probabilities in
                    let latency = Stopwatch.latency(iterations: iterations, warmup: iterations / 10) {
                        predictor.predict(features: features, rows: 1, probabilities: probabilities)
                    }
                    let rate = Stopwatch.throughput(rows: 64, calls: calls, repeats: 9) {
                        predictor.predict(features: features, rows: 64, probabilities: probabilities)
                    }
                    return (latency, rate)
                }
            }
            sink += output[0]
            report(kind: "int8_\(path.rawValue)", latency: latency, rate: rate)
        }
        if sink.isNaN { print("") }  // keeps the work observable
    }

    private func report(kind: String, latency: (p50: Double, p99: Double), rate: Double) {
        BenchLine(benchName, "\(kind)_batch1_p50", latency.p50 / 1000, "us").emit()
        BenchLine(benchName, "\(kind)_batch1_p99", latency.p99 / 1000, "us").emit()
        BenchLine(benchName, "\(kind)_batch64_throughput", rate, "rows/s").emit()
    }
}

extension MLP {
    /// Parameter ranges of each weight and bias in the flat vector.
    var namedTensorsLayout: [(isBias: Bool, range: Range<Int>)] {
        var offset = 0
        return namedTensors.map { entry in
            defer { offset += entry.tensor.count }
            return (entry.name.hasSuffix(".bias"), offset..<(offset + entry.tensor.count))
        }
    }
}
