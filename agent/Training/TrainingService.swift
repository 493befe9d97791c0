import Logging
import Metrics
import NIOPosix
import ServiceLifecycle
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Carries out round tasks off the watch loop so the watch stays live: training
/// (download the base weights, train on a worker thread, upload the delta or take part in the
/// round's secure aggregation with it), evaluation of a version on the held-out samples, and
/// feature statistics of the training samples. A task past its deadline is dropped; a device that
/// has nothing to contribute, or whose training diverges, reports why and sends nothing else.
struct TrainingService: Service {
    let client: StarlingHTTPClient
    let store: AgentStore
    let counters: CounterLedger
    let privacy: PrivacyLedger
    let metrics: AgentMetrics
    let tasks: AsyncStream<RoundTask>
    /// Writes the windows closed in memory before a monitor task adds them up.
    var monitorWriter: MonitorWriter? = nil
    let logger: Logger

    /// Each task runs as soon as it arrives, beside those of other runs: a secure aggregation waits
    /// on the other devices of its cohort, and two runs whose devices took their tasks in different
    /// orders would otherwise wait on each other until their deadlines. A run issues its next round's
    /// task only after the last one closed, so one run's tasks never overlap.
    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await task in tasks.cancelOnGracefulShutdown() {
                group.addTask { await carryOutLogging(task) }
            }
            group.cancelAll()
        }
    }

    private func carryOutLogging(_ task: RoundTask) async {
        var logger = logger
        logger[metadataKey: "run"] = "\(task.runId)"
        logger[metadataKey: "round"] = "\(task.round)"
        do {
            try await carryOut(task, logger: logger)
        } catch .taskSuperseded(let reason) {
            logger.notice("round task superseded", metadata: ["attempt": "\(task.attempt)", "reason": "\(reason)"])
        } catch {
            guard !Task.isCancelled else { return }
            logger.error("round task failed", metadata: ["reason": "\(error)"])
        }
    }

    private func carryOut(_ task: RoundTask, logger: Logger) async throws(AgentError) {
        guard task.deadline > Date() else {
            logger.warning("round task dropped: its deadline has passed")
            return
        }
        switch task.kind {
        case .train: try await train(task, logger: logger)
        case .evaluate: try await evaluate(task, logger: logger)
        case .statistics: try await summarise(task, logger: logger)
        case .monitor: try await addUpWindows(task, logger: logger)
        }
    }

    /// A monitor run's share: the device's windows of the task's version that ended by the span's end
    /// and were not sent yet, added up and contributed under SecAgg+ (zeros when there are none), then
    /// marked sent, so no window counts twice at the aggregator.
    private func addUpWindows(_ task: RoundTask, logger: Logger) async throws(AgentError) {
        guard let monitor = task.monitor, let secure = task.secureAggregation else {
            throw .aggregator("the monitor task names no span or no secure aggregation")
        }
        try await monitorWriter?.flush()
        let unsent = try await store.unsentMonitorWindows(since: 0).filter {
            monitor.includes($0.window)
        }
        let (words, clipped) = MonitorWindowLayout.encode(monitor.sum(of: unsent.map(\.window)))
        try await SecureContribution(client: client, task: task, secure: secure).submit(words: words)
        try await store.markMonitorWindowsSent(unsent.map(\.id))
        logger.info(
            "monitor windows added up under secure aggregation",
            metadata: ["version": "\(monitor.version)", "clipped_counts": "\(clipped)"])
    }

    private func train(_ task: RoundTask, logger: Logger) async throws(AgentError) {
        let (base, _) = try await WeightsDownloader(client: client)
            .download(
                model: task.model, version: task.baseVersion, sha256: task.sha256, retryingUntil: task.deadline)
        let train = try await store.samples(in: .train)
        let eval = try await store.samples(in: .eval)
        let privateRun = try privateTraining(for: task, base: base, train: train)
        if let privateRun {
            try await privacy.admit(
                samplingRate: privateRun.samplingRate, noiseMultiplier: privateRun.noiseMultiplier,
                steps: privateRun.steps,
                for: task)
        }
        if let userLevel = task.privacy, userLevel.mode.isUserLevel {
            guard let noiseMultiplier = userLevel.noiseMultiplier else {
                throw .privacy("the round asks for \(userLevel.mode.rawValue) privacy without a noise multiplier")
            }
            try await privacy.admit(samplingRate: 1, noiseMultiplier: noiseMultiplier, steps: 1, for: task)
        }
        let result: LocalResult<ModelUpdate>
        let start = ContinuousClock.now
        do {
            result = try await NIOThreadPool.singleton.runIfActive {
                try LocalTraining.run(base: base, task: task, train: train, eval: eval, privateRun: privateRun)
            }
        } catch {
            throw .invalidModel("\(error)")
        }
        metrics.training.record(duration: start.duration(to: .now))
        guard case .contribute(var update) = result else {
            return try await report(result, for: task, logger: logger)
        }
        if let userLevel = task.privacy, userLevel.mode.isUserLevel {
            do {
                try update.clipDelta(toNorm: userLevel.clipNorm)
            } catch {
                throw .invalidModel("\(error)")
            }
        }
        guard task.deadline > Date() else {
            logger.warning("round task dropped: training finished after the deadline")
            return
        }
        if let secure = task.secureAggregation {
            try await SecureContribution(client: client, task: task, secure: secure).submit(update)
        } else {
            try await post(
                update.encoded(), to: APIPath.deviceUpdate(runId: task.runId, round: task.round),
                deadline: task.deadline)
        }
        counters.add([.roundsJoined: 1])
        logger.info(
            "update submitted",
            metadata: ["train_samples": "\(update.trainSamples)", "eval_accuracy": "\(update.evalAccuracy)"])
    }

    private func evaluate(_ task: RoundTask, logger: Logger) async throws(AgentError) {
        let (base, _) = try await WeightsDownloader(client: client)
            .download(
                model: task.model, version: task.baseVersion, sha256: task.sha256, retryingUntil: task.deadline)
        let eval = try await store.samples(in: .eval)
        let result = try await offload { LocalEvaluation.run(base: base, eval: eval) }
        guard case .contribute(let figures) = result else { return try await report(result, for: task, logger: logger) }
        if let secure = task.secureAggregation {
            try await SecureContribution(client: client, task: task, secure: secure).submit(figures)
        } else {
            let body: [UInt8]
            do {
                body = Array(try StarlingJSON.encoder().encode(figures))
            } catch {
                throw .aggregator("the evaluation cannot be encoded: \(error)")
            }
            try await post(
                body, to: APIPath.deviceEvaluation(runId: task.runId, round: task.round),
                deadline: task.deadline)
        }
        logger.info(
            "evaluation submitted", metadata: ["samples": "\(figures.samples)", "accuracy": "\(figures.accuracy)"])
    }

    private func summarise(_ task: RoundTask, logger: Logger) async throws(AgentError) {
        guard let statisticsTask = task.statistics else {
            throw .aggregator("the statistics task names no feature width")
        }
        let train = try await store.samples(in: .train)
        let result = try await offload { LocalStatistics.run(task: statisticsTask, train: train) }
        guard case .contribute(let statistics) = result else {
            return try await report(result, for: task, logger: logger)
        }
        if let secure = task.secureAggregation {
            try await SecureContribution(client: client, task: task, secure: secure).submit(statistics)
        } else {
            try await post(
                statistics.safetensors(),
                to: APIPath.deviceStatistics(runId: task.runId, round: task.round),
                deadline: task.deadline)
        }
        logger.info("feature statistics submitted", metadata: ["width": "\(statisticsTask.width)"])
    }

    /// Tells the aggregator why this device sends nothing for the task.
    private func report<Value>(_ result: LocalResult<Value>, for task: RoundTask, logger: Logger)
        async throws(AgentError)
    {
        guard case .fail(let failure) = result else { return }
        logger.warning(
            "round task not carried out",
            metadata: ["reason": "\(failure.reason.rawValue)", "detail": "\(failure.detail)"])
        try await Rejoin.report(failure, for: task, client: client)
    }

    /// Runs CPU-bound work on the blocking thread pool, off the event loops.
    private func offload<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async throws(AgentError) -> Value {
        do {
            return try await NIOThreadPool.singleton.runIfActive(body)
        } catch {
            throw .store("the worker threads are shutting down")
        }
    }

    private func post(_ bytes: [UInt8], to path: String, deadline: Date) async throws(AgentError) {
        try await Rejoin.upload(bytes, to: path, until: deadline, client: client)
    }
}

extension TrainingService {
    /// The DP-SGD setting of a local-privacy task, nil for other tasks.
    private func privateTraining(
        for task: RoundTask, base: ModelBundle, train: [LabelledSample]
    ) throws(AgentError) -> PrivateTraining? {
        guard let privacy = task.privacy, privacy.mode == .local else { return nil }
        do {
            return try PrivateTraining(
                task: task, privacy: privacy, trainingExamples: LabelledDataset.make(train, for: base.manifest).count)
        } catch {
            throw .privacy(error.description)
        }
    }
}

extension TrainingService: CustomStringConvertible {
    /// The name service-lifecycle logs for this service.
    var description: String { "training" }
}
