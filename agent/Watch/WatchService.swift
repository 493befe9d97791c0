#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle
import StarlingCore
import StarlingProtocol
import StarlingTransport
import Synchronization

/// Holds the long-poll watch on the device's desired state and acts on every answer: hands new
/// round tasks to the training service and the deployed model to an install loop that runs beside
/// the watch, so heartbeats and round tasks keep flowing while a large model downloads and is
/// smoke-tested. Reconnects with backoff; an install that could not finish (a download cut short)
/// is retried with backoff too, until it finishes or a newer deployment takes its place.
struct WatchService: Service {
    let client: StarlingHTTPClient
    let store: AgentStore
    let slot: ModelSlot
    let connection: ConnectionState
    let installer: ModelInstaller
    let roundTasks: AsyncStream<RoundTask>.Continuation
    let seed: UInt64
    let logger: Logger

    /// How long the aggregator may hold a watch open.
    static let waitSeconds = 25.0

    /// - Important: the round-task stream is not finished here: the training service ends on its own
    ///   graceful shutdown, and a service that returned before being asked would fail the group.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            let (deployments, offer) = AsyncStream.makeStream(of: DesiredModel.self, bufferingPolicy: .bufferingNewest(1))
            let latest = LatestDeployment()
            await withDiscardingTaskGroup { group in
                group.addTask { await installLoop(deployments, latest: latest) }
                await watchLoop(offering: offer, latest: latest)
                offer.finish()
            }
        }
    }

    private func watchLoop(offering offer: AsyncStream<DesiredModel>.Continuation, latest: LatestDeployment) async {
        var backoff = Backoff(generator: SeededRNG(seed: seed))
        var revision = ""
        var offered: DesiredModel?
        var dispatched = Set<RoundKey>()
        while !Task.isCancelled {
            let desired: DesiredState
            do {
                desired = try await poll(revision: revision)
            } catch {
                connection.set(false)
                guard !Task.isCancelled else { return }
                let delay = backoff.nextDelay()
                logger.warning("watch failed, retrying", metadata: ["reason": "\(error)", "delay": "\(delay)"])
                try? await Task.sleep(for: delay)
                continue
            }
            connection.set(true)
            backoff.reset()
            if let model = desired.model, model != offered {
                offered = model
                latest.set(model)
                offer.yield(model)
            }
            let now = Date()
            for task in desired.rounds where task.deadline > now && dispatched.insert(RoundKey(task)).inserted {
                logger.info("round task received", metadata: ["round": "\(task.roundId)", "iteration": "\(task.iteration)"])
                roundTasks.yield(task)
            }
            dispatched.formIntersection(desired.rounds.map(RoundKey.init))
            revision = desired.revision
        }
    }

    /// Installs each deployment the watch offers, one at a time; an install that could not finish
    /// is retried after a backoff delay unless a newer deployment has arrived meanwhile.
    private func installLoop(_ deployments: AsyncStream<DesiredModel>, latest: LatestDeployment) async {
        var backoff = Backoff(generator: SeededRNG(seed: seed &+ 1))
        for await model in deployments {
            backoff.reset()
            while await installer.reconcile(model) == .retryLater, !Task.isCancelled {
                try? await Task.sleep(for: backoff.nextDelay())
                guard latest.model == model else { break }
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
            throw .aggregator(error.description)
        }
    }
}

/// The deployment the watch offered last, so a retrying install knows when it is superseded.
private final class LatestDeployment: Sendable {
    private let current = Mutex<DesiredModel?>(nil)

    var model: DesiredModel? { current.withLock { $0 } }

    func set(_ model: DesiredModel) { current.withLock { $0 = model } }
}

/// Identifies one iteration of one round.
private struct RoundKey: Hashable {
    let roundId: String
    let iteration: Int

    init(_ task: RoundTask) {
        roundId = task.roundId
        iteration = task.iteration
    }
}

extension WatchService: CustomStringConvertible {
    /// The name service-lifecycle logs for this service.
    var description: String { "watch" }
}
