#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOPosix
import ServiceLifecycle
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Carries out round tasks one at a time, off the watch loop so the watch stays live: downloads the
/// base weights, trains on a worker thread, uploads the delta (or takes part in the iteration's
/// secure aggregation with it). A task past its deadline is dropped.
struct TrainingService: Service {
    let client: StarlingHTTPClient
    let store: AgentStore
    let counters: CounterLedger
    let privacy: PrivacyLedger
    let tasks: AsyncStream<RoundTask>
    let logger: Logger

    func run() async throws {
        for await task in tasks.cancelOnGracefulShutdown() {
            var logger = logger
            logger[metadataKey: "round"] = "\(task.roundId)/\(task.iteration)"
            do {
                try await carryOut(task, logger: logger)
            } catch {
                guard !Task.isCancelled else { return }
                logger.error("round task failed", metadata: ["reason": "\(error)"])
            }
        }
    }

    private func carryOut(_ task: RoundTask, logger: Logger) async throws(AgentError) {
        guard task.deadline > Date() else {
            logger.warning("round task dropped: its deadline has passed")
            return
        }
        let (base, _) = try await WeightsDownloader(client: client)
            .download(model: task.model, version: task.baseVersion, sha256: task.sha256)
        let train = try await store.samples(in: .train)
        let eval = try await store.samples(in: .eval)
        let privateRun = try privateTraining(for: task, base: base, train: train)
        if let privateRun {
            try await privacy.admit(
                samplingRate: privateRun.samplingRate, noiseMultiplier: privateRun.noiseMultiplier, steps: privateRun.steps,
                for: task)
        }
        if let userLevel = task.privacy, userLevel.mode.isUserLevel {
            guard let noiseMultiplier = userLevel.noiseMultiplier else {
                throw .privacy("the round asks for \(userLevel.mode.rawValue) privacy without a noise multiplier")
            }
            try await privacy.admit(samplingRate: 1, noiseMultiplier: noiseMultiplier, steps: 1, for: task)
        }
        var update: ModelUpdate?
        do {
            update = try await NIOThreadPool.singleton.runIfActive {
                try LocalTraining.run(base: base, task: task, train: train, eval: eval, privateRun: privateRun)
            }
        } catch {
            throw .invalidModel("\(error)")
        }
        if let userLevel = task.privacy, userLevel.mode.isUserLevel {
            do {
                try update?.clipDelta(toNorm: userLevel.clipNorm)
            } catch {
                throw .invalidModel("\(error)")
            }
        }
        guard let update else {
            logger.warning("round task skipped: no local sample fits the model")
            return
        }
        guard task.deadline > Date() else {
            logger.warning("round task dropped: training finished after the deadline")
            return
        }
        if let secure = task.secureAggregation {
            try await SecureContribution(client: client, task: task, secure: secure).submit(update)
        } else {
            do {
                let _: UpdateReceipt = try await client.post(
                    APIPath.deviceUpdate(roundId: task.roundId, iteration: task.iteration), bytes: update.encoded())
            } catch {
                throw .aggregator(error.description)
            }
        }
        counters.add([.roundsJoined: 1])
        logger.info(
            "update submitted",
            metadata: ["train_samples": "\(update.trainSamples)", "eval_accuracy": "\(update.evalAccuracy)"])
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
