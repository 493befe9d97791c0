import Foundation
import Logging
import Quantization
import StarlingAgent
import StarlingCore
import StarlingProtocol

/// What on-device monitoring costs phase one: batch-1 p50 latency of the agent's two-phase
/// predictor with monitoring on (keyed predictions logged, every input kept for the drift
/// histograms and binned in the background, the writer running every second as in the agent)
/// divided by the same figure with it off, measured in alternating blocks of the same run on the
/// 784-128-64-10 int8 model with a drift reference on all 784 features. Also the size of one
/// monitor window of that model, which is what a device would send per window and version.
struct MonitorBenchmark {
    let quick: Bool

    func run() async throws {
        let installed = try model()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("starling-monitor-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try AgentStore(path: directory.appendingPathComponent("agent.sqlite"))
        let counters = try await CounterLedger.load(from: store)
        let monitor = PredictionMonitor(settings: MonitorSettings(), clock: CoarseClock.now)
        let writer = MonitorWriter(monitor: monitor, store: store)
        let slot = ModelSlot(installed)
        let logger = Logger(label: "starling-bench")
        // As in the agent: an experiment slot (empty: the device takes part in none) is asked on
        // every call, on and off alike.
        let experiments = ExperimentSlot(seed: 1)
        func predictor(_ monitor: PredictionMonitor?) -> TwoPhasePredictor {
            TwoPhasePredictor(
                slot: slot, refiner: nil, refineTimeout: .milliseconds(300), counters: counters,
                metrics: AgentMetrics(), monitor: monitor, experiments: experiments, logger: logger)
        }
        let plain = predictor(nil)
        let monitored = predictor(monitor)
        var rng = SeededRNG(seed: 45)
        let inputs = (0..<256).map { _ in (0..<784).map { _ in Double(Float.random(in: 0..<1, using: &rng)) } }
        let blocks = quick ? 10 : 40
        let perBlock = 500
        var off: [Double] = []
        var on: [Double] = []
        // The writer as the agent runs it: every second, and whenever the monitor asks.
        let flushing = Task {
            try await MonitorWriterService(writer: writer, interval: .seconds(1), logger: logger).run()
        }
        var call = 0
        for block in 0..<(2 * blocks + 2) {
            let useMonitor = block % 2 == 1
            let chosen = useMonitor ? monitored : plain
            for _ in 0..<perBlock {
                let request = PredictRequest(key: "k\(call)", features: inputs[call % inputs.count])
                call += 1
                let start = ContinuousClock.now
                _ = try await chosen.predict([request])
                let nanoseconds = Double((ContinuousClock.now - start) / .nanoseconds(1))
                // The first pair of blocks warms up.
                guard block >= 2 else { continue }
                if useMonitor { on.append(nanoseconds) } else { off.append(nanoseconds) }
            }
        }
        flushing.cancel()
        try await writer.flush()
        let offP50 = Self.median(off) / 1000
        let onP50 = Self.median(on) / 1000
        BenchLine("monitoring", "phase_one_batch1_p50_monitoring_off", offP50, "us").emit()
        var line = BenchLine(
            "monitoring", "phase_one_batch1_p50_monitoring_on_vs_off", onP50, "us",
            note: "784-128-64-10 int8 through the agent's predictor, keyed, drift on 784 features; target <= 1.05")
        line.peer = "same predictor, monitoring off"
        line.ratio = onP50 / offP50
        line.emit()
        BenchLine(
            "monitoring", "unsampled_calls", Double(monitor.unsampledInputs), "calls",
            note: "calls whose inputs were left out of the drift histograms because too many waited"
        ).emit()
        let window = MonitorWindow(
            version: installed.tag, start: 0, seconds: 300, labels: installed.manifest.labels,
            bins: (0..<784).map { installed.manifest.drift?.binCount(feature: $0) ?? 0 })
        let bytes = try StarlingJSON.encoder().encode(window).count
        BenchLine(
            "monitoring", "monitor_window_bytes", Double(bytes), "bytes",
            note: "one window of one version of the 784-feature model, JSON, before compression"
        ).emit()
    }

    /// The benchmark's 784-128-64-10 model, quantized, with a drift reference fitted on inputs
    /// spread evenly over 0…1.
    private func model() throws -> InstalledModel {
        let fp32 = try ModelBenchmark(architecture: "784-128-64-10", quick: quick).bundle()
        var statistics = FeatureStatistics(width: 784)
        var rng = SeededRNG(seed: 46)
        statistics.add(features: (0..<(784 * 2_000)).map { _ in Float.random(in: 0..<1, using: &rng) }, rows: 2_000)
        let profile = try FeatureProfile(name: "bench-inputs", version: 1, statistics: statistics, devices: 1)
        let manifest = fp32.manifest
        let profiled = try ModelBundle(
            manifest: try ModelManifest(
                name: manifest.name, version: 1, architecture: manifest.architecture, labels: manifest.labels,
                preprocessing: manifest.preprocessing, profile: ProfileReference(name: "bench-inputs", version: 1),
                drift: DriftReference(profile: profile), confidenceThreshold: 0),
            model: fp32.model)
        return InstalledModel(
            int8: try Int8Bundle(quantizing: profiled), name: manifest.name, version: 1, sha256: "", sha256Int8: "")
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
