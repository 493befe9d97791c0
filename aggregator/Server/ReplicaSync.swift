import Logging
import ServiceLifecycle
import StarlingStorage

/// Keeps a replica sharing PostgreSQL with others up to date with their work: soon after any
/// change or progress (another replica's, through ``RevisionRelay``, or its own) and at least every
/// ``interval``, the run coordinator catches up (``RunCoordinator/synchronize()``), and at most
/// once an interval the device directory is read again (for enrollments, revocations and the
/// heartbeats the other replicas stored) and the rollouts catch up (``Rollouts/synchronize()``).
/// On SQLite there is one process, and it only waits for shutdown.
struct ReplicaSync: Service {
    let engine: any StorageEngine
    let devices: DeviceRegistry
    let runs: RunCoordinator
    let rollouts: Rollouts
    let broadcaster: RevisionBroadcaster
    let interval: Duration
    /// How long a burst of changes is left to settle before catching up with it.
    let settle: Duration
    let logger: Logger

    func run() async throws {
        guard engine.dialect == .postgresql else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            let clock = ContinuousClock()
            var reloaded = clock.now - interval
            while !Task.isCancelled {
                let progress = await broadcaster.currentProgress
                if clock.now - reloaded >= interval {
                    reloaded = clock.now
                    do {
                        try await devices.reload()
                    } catch {
                        logger.warning("cannot read the devices again", metadata: ["error": "\(error)"])
                    }
                    await rollouts.synchronize()
                }
                await runs.synchronize()
                let waited = clock.now
                let next = await broadcaster.waitForProgress(from: progress, timeout: interval)
                // A broadcaster that stopped (the aggregator is stopping) answers at once, unchanged.
                let stopped = next == progress && clock.now - waited < interval
                try await Task.sleep(for: stopped ? interval : settle)
            }
        }
    }
}
