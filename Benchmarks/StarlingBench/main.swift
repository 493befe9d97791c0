// starling-bench: the phase-one runtime, secure-aggregation, DP-SGD, rollout and learning-quality benchmarks. Prints
// one JSON line per figure.
//   starling-bench [--suite int8|secagg|dp|cnn|monitor|rollout|quality] [--export-dir DIR] [--data data/digits.csv]
//                  [--quality-data DIR [--settings JSON] [--strategies fedavg,fedadam] [--datasets a,b]
//                   [--partitions p,q] [--seeds N] [--architecture-file model.json]]
//                  [--models lenet5,dscnn] [--parts training,inference] [--quick]
// --models and --parts pick the convolutional models and figures of --suite cnn (default: all).
// --suite quality-flower-arguments prints the round defaults as Benchmarks/quality/flower_peer.py options.
// --quality-data is the folder Benchmarks/quality/make_datasets.py wrote; --settings overrides the round
// defaults for a sweep, e.g. '{"local_epochs":5,"learning_rate":0.1}'; --architecture-file trains
// that model (e.g. Benchmarks/models/lenet5.json) instead of each dataset's own.
// --export-dir writes the benchmarked fp32 models as safetensors for Benchmarks/ort_peer.py.
import CBLAS
import Foundation
import Quantization
import StarlingCore

var exportDirectory: URL?
var dataPath = "data/digits.csv"
var quick = false
var suite = "int8"
var qualityData: URL?
var qualitySettings = FederatedSimulation.Settings()
var qualityStrategies: [ServerOptimizerKind] = [.fedavg, .fedadam]
var qualityDatasets: [String] = []
var qualityPartitions: [String] = []
var qualitySeeds = 1
var qualityArchitectureFile: URL?
var cnnModels: [String]?
var cnnParts: Set<CNNBenchmark.Part>?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--export-dir": exportDirectory = arguments.next().map { URL(fileURLWithPath: $0) }
    case "--data": dataPath = arguments.next() ?? dataPath
    case "--quick": quick = true
    case "--suite": suite = arguments.next() ?? suite
    case "--quality-data": qualityData = arguments.next().map { URL(fileURLWithPath: $0) }
    case "--settings":
        let text = arguments.next() ?? "{}"
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            qualitySettings = try decoder.decode(FederatedSimulation.Settings.self, from: Data(text.utf8))
        } catch {
            FileHandle.standardError.write(
                Data("starling-bench: --settings is not valid JSON settings: \(error)\n".utf8))
            exit(2)
        }
    case "--strategies":
        qualityStrategies = (arguments.next() ?? "").split(separator: ",").compactMap {
            ServerOptimizerKind(rawValue: String($0))
        }
    case "--datasets": qualityDatasets = (arguments.next() ?? "").split(separator: ",").map(String.init)
    case "--partitions": qualityPartitions = (arguments.next() ?? "").split(separator: ",").map(String.init)
    case "--seeds": qualitySeeds = max(1, Int(arguments.next() ?? "") ?? 1)
    case "--architecture-file": qualityArchitectureFile = arguments.next().map { URL(fileURLWithPath: $0) }
    case "--models": cnnModels = (arguments.next() ?? "").split(separator: ",").map(String.init)
    case "--parts":
        let names = (arguments.next() ?? "").split(separator: ",").map(String.init)
        let parts = names.compactMap(CNNBenchmark.Part.init(rawValue:))
        guard parts.count == names.count, !parts.isEmpty else {
            FileHandle.standardError.write(Data("starling-bench: --parts takes training and/or inference\n".utf8))
            exit(2)
        }
        cnnParts = Set(parts)
    default:
        FileHandle.standardError.write(
            Data(
                "usage: starling-bench [--suite int8|secagg|dp|cnn|monitor|rollout|quality] [--export-dir DIR] [--data CSV] [--quality-data DIR] [--quick]\n"
                    .utf8))
        exit(2)
    }
}

if suite == "secagg" {
    do {
        try SecAggBenchmark(quick: quick).run()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("starling-bench: \(error)\n".utf8))
        exit(1)
    }
}

if suite == "rollout" {
    do {
        try await RolloutBenchmark(quick: quick).run()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("starling-bench: \(error)\n".utf8))
        exit(1)
    }
}

if suite == "quality-flower-arguments" {
    print(QualityBenchmark.flowerArguments(qualitySettings))
    exit(0)
}

if suite == "quality" {
    openblas_set_num_threads(1)
    do {
        guard let qualityData else { throw QualityBenchmarkError("--suite quality needs --quality-data DIR") }
        var benchmark = QualityBenchmark(
            dataDirectory: qualityData, quick: quick, settings: qualitySettings, strategies: qualityStrategies,
            datasets: qualityDatasets, partitions: qualityPartitions, seeds: qualitySeeds)
        if let qualityArchitectureFile {
            let text = String(decoding: try Data(contentsOf: qualityArchitectureFile), as: UTF8.self)
            benchmark.architecture = (
                qualityArchitectureFile.deletingPathExtension().lastPathComponent, try ModelArchitecture(parsing: text)
            )
        }
        try benchmark.run()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("starling-bench: \(error)\n".utf8))
        exit(1)
    }
}

if suite == "monitor" {
    openblas_set_num_threads(1)
    do {
        try await MonitorBenchmark(quick: quick).run()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("starling-bench: \(error)\n".utf8))
        exit(1)
    }
}

if suite == "cnn" {
    openblas_set_num_threads(1)
    do {
        var benchmark = CNNBenchmark(quick: quick, exportDirectory: exportDirectory)
        if let cnnModels { benchmark.models = cnnModels }
        if let cnnParts { benchmark.parts = cnnParts }
        try benchmark.run()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("starling-bench: \(error)\n".utf8))
        exit(1)
    }
}

if suite == "dp" {
    openblas_set_num_threads(1)
    do {
        try DPSGDBenchmark(quick: quick).run()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("starling-bench: \(error)\n".utf8))
        exit(1)
    }
}

openblas_set_num_threads(1)
let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"
BenchLine("environment", "openblas_threads", 1, "threads", note: "OpenBLAS core \(core); OPENBLAS_CORETYPE=\(coreType)")
    .emit()
BenchLine(
    "environment", "int8_best_path", Double(Int8KernelPath.allCases.firstIndex(of: .best) ?? 0), "enum",
    note: "best \(Int8KernelPath.best); supported \(Int8KernelPath.supported.map(\.rawValue).joined(separator: ","))"
).emit()
let timer = Stopwatch.latency(iterations: 100_000, warmup: 1_000) {}
BenchLine("environment", "timer_overhead_p50", timer.p50, "ns", note: "included in every latency figure").emit()

do {
    for architecture in ["64-32-10", "784-128-64-10"] {
        try ModelBenchmark(architecture: architecture, quick: quick).run(exportDirectory: exportDirectory)
    }
    try AccuracyBenchmark(csv: URL(fileURLWithPath: dataPath)).run()
} catch {
    FileHandle.standardError.write(Data("starling-bench: \(error)\n".utf8))
    exit(1)
}
