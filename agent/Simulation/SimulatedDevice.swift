import Logging
import NIOPosix
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One device of a fleet simulation, in process: the agent's enrollment, its mutual-TLS client, its
/// watch request, its local training and its update upload or SecAgg+ contribution, over the real
/// device API, with its rows in memory instead of the agent's store and without the local API, model
/// slots or monitoring that a simulated round does not touch.
struct SimulatedDevice: Sendable {
    /// The device's place in the fleet.
    let index: Int
    let identity: DeviceIdentity
    let client: StarlingHTTPClient
    let train: [LabelledSample]
    let eval: [LabelledSample]

    /// Watches for round tasks until cancelled and carries out each new one beside the watch, as the
    /// agent's watch and training services do; `watching` runs once the first watch was answered.
    func run(commons: FleetCommons, watching: @Sendable () -> Void, logger: Logger) async {
        var revision = ""
        var dispatched: Set<String> = []
        var backoff = Backoff(generator: SystemRandomNumberGenerator())
        var answered = false
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let desired: DesiredState
                do {
                    desired = try await client.post(
                        APIPath.deviceWatch,
                        json: WatchRequest(
                            revision: revision, sampleCount: train.count + eval.count, runningModel: nil,
                            waitSeconds: WatchService.waitSeconds),
                        timeout: .seconds(WatchService.waitSeconds + 15))
                } catch {
                    logger.debug("watch failed", metadata: ["device": "\(identity.deviceId)", "reason": "\(error)"])
                    try? await Task.sleep(for: backoff.nextDelay())
                    continue
                }
                backoff.reset()
                if !answered {
                    answered = true
                    watching()
                }
                let now = Date()
                for task in desired.rounds where task.deadline > now {
                    guard dispatched.insert("\(task.runId)/\(task.round)/\(task.attempt)").inserted else { continue }
                    group.addTask { await carryOut(task, commons: commons, logger: logger) }
                }
                revision = desired.revision
            }
            group.cancelAll()
        }
    }

    private func carryOut(_ task: RoundTask, commons: FleetCommons, logger: Logger) async {
        do {
            guard task.kind == .train else {
                throw AgentError.aggregator("a simulated device only trains; it was asked to \(task.kind.rawValue)")
            }
            try await train(task, commons: commons)
        } catch {
            guard !Task.isCancelled else { return }
            logger.warning(
                "simulated round task failed",
                metadata: ["device": "\(identity.deviceId)", "round": "\(task.round)", "reason": "\(error)"])
        }
    }

    private func train(_ task: RoundTask, commons: FleetCommons) async throws(AgentError) {
        let base = try await commons.weights.bundle(for: task, client: client)
        let vanishing = commons.dropout.stage(device: index, round: task.round)
        if let secure = task.secureAggregation {
            // Trained in the device's turn to mask, so that the process holds the updates of its
            // few turns, not every device's through the key stages.
            var contribution = SecureContribution(client: client, task: task, secure: secure)
            contribution.vanishesBefore = vanishing
            contribution.maskingTurns = commons.maskingTurns
            let (train, eval) = (train, eval)
            return try await contribution.submit(updateMadeWhenMasking: { () async throws(AgentError) -> ModelUpdate in
                switch try await Self.result(base: base, task: task, train: train, eval: eval) {
                case .contribute(let update): return update
                case .fail(let failure):
                    throw .aggregator("the simulated device has no update to mask: \(failure.detail)")
                }
            })
        }
        switch try await Self.result(base: base, task: task, train: train, eval: eval) {
        case .contribute(let update):
            guard vanishing == nil else { return }
            try await Rejoin.upload(
                update.encoded(), to: APIPath.deviceUpdate(runId: task.runId, round: task.round),
                until: task.deadline, client: client)
        case .fail(let failure):
            try await Rejoin.report(failure, for: task, client: client)
        }
    }

    /// The device's local training, on the process's thread pool.
    private static func result(base: ModelBundle, task: RoundTask, train: [LabelledSample], eval: [LabelledSample])
        async throws(AgentError) -> LocalResult<ModelUpdate>
    {
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                try LocalTraining.run(base: base, task: task, train: train, eval: eval)
            }
        } catch {
            throw .invalidModel("\(error)")
        }
    }
}
