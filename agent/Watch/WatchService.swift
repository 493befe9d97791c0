import Logging
import ServiceLifecycle
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Holds the long-poll watch on the device's desired state and acts on every answer: installs the
/// deployed model and the experiment's candidates, and hands new round tasks to the training service. Reconnects with backoff, and
/// retries an install that could not finish with backoff too. A device the aggregator refuses as
/// revoked says so once in the log and keeps asking, with backoff.
struct WatchService: Service {
    let client: StarlingHTTPClient
    let store: AgentStore
    let slot: ModelSlot
    let connection: ConnectionState
    let installer: ModelInstaller
    let experiments: ExperimentInstaller
    let monitorUpload: MonitorUploadPolicy
    let roundTasks: AsyncStream<RoundTask>.Continuation
    let seed: UInt64
    let logger: Logger

    /// How long the aggregator may hold a watch open: every renewal is a request the aggregator
    /// answers for each device of the fleet, so it is held nearly as long as it allows.
    static let waitSeconds = 240.0

    /// - Important: the round-task stream is not finished here: the training service ends on its own
    ///   graceful shutdown, and a service that returned before being asked would fail the group.
    func run() async throws {
        await cancelWhenGracefulShutdown { await watchLoop() }
    }

    private func watchLoop() async {
        var backoff = Backoff(generator: SeededRNG(seed: seed))
        var installBackoff = Backoff(generator: SeededRNG(seed: seed &+ 1))
        var revision = ""
        var settledModel: DesiredModel?
        var settledExperiment: DesiredExperiment??
        // Each task is run once: behind a load balancer, consecutive answers may come from replicas
        // that have not all seen the task yet, so one that leaves it out does not end it; it is
        // forgotten once its deadline has passed. A new task has a key of its own (a new attempt,
        // or a new deadline, as a buffered run's next task for the same version has).
        var dispatched = Set<RoundKey>()
        var revoked = false
        while !Task.isCancelled {
            let desired: DesiredState
            do {
                desired = try await poll(revision: revision)
            } catch {
                connection.set(false)
                guard !Task.isCancelled else { return }
                let delay = backoff.nextDelay()
                if case .deviceRevoked = error {
                    // Said once at error level; the agent keeps serving its installed model locally.
                    if !revoked { logger.error("\(error)") }
                    revoked = true
                } else {
                    logger.warning("watch failed, retrying", metadata: ["reason": "\(error)", "delay": "\(delay)"])
                }
                try? await Task.sleep(for: delay)
                continue
            }
            revoked = false
            connection.set(true)
            backoff.reset()
            var unsettled = false
            if let model = desired.model, model != settledModel {
                if await installer.reconcile(model) == .settled {
                    settledModel = model
                    installBackoff.reset()
                } else {
                    unsettled = true
                }
            }
            monitorUpload.set(desired.monitorUpload ?? .perDevice)
            if settledExperiment != .some(desired.experiment) {
                if await experiments.reconcile(desired.experiment) {
                    settledExperiment = .some(desired.experiment)
                } else {
                    unsettled = true
                }
            }
            let now = Date()
            for task in desired.rounds where task.deadline > now && dispatched.insert(RoundKey(task)).inserted {
                logger.info(
                    "round task received",
                    metadata: [
                        "run": "\(task.runId)", "round": "\(task.round)", "attempt": "\(task.attempt)",
                    ])
                roundTasks.yield(task)
            }
            dispatched = dispatched.filter { $0.deadline > now }
            if unsettled {
                // An install that could not finish (a download cut short) is retried after a backoff
                // delay rather than on the next change: asking without a revision answers at once.
                try? await Task.sleep(for: installBackoff.nextDelay())
                revision = ""
            } else {
                revision = desired.revision
            }
        }
    }

    private func poll(revision: String) async throws(AgentError) -> DesiredState {
        let request = WatchRequest(
            revision: revision, sampleCount: try await store.sampleCount(), runningModel: slot.model?.tag,
            waitSeconds: Self.waitSeconds)
        do {
            return try await client.post(APIPath.deviceWatch, json: request, timeout: .seconds(Self.waitSeconds + 15))
        } catch {
            if error.code == APIErrorCode.deviceRevoked.rawValue { throw .deviceRevoked }
            throw .aggregator(error.description)
        }
    }
}

/// Identifies one task: an attempt of one round of a run, until its deadline.
private struct RoundKey: Hashable {
    let runId: String
    let round: Int
    let attempt: Int
    let deadline: Date

    init(_ task: RoundTask) {
        runId = task.runId
        round = task.round
        attempt = task.attempt
        deadline = task.deadline
    }
}

extension WatchService: CustomStringConvertible {
    /// The name service-lifecycle logs for this service.
    var description: String { "watch" }
}
