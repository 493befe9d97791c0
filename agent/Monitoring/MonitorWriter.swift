import Logging
import ServiceLifecycle

/// Writes what the ``PredictionMonitor`` collected (keyed predictions, closed windows) to the
/// store, one write at a time so that a later prediction under a key is never overwritten by an
/// earlier one: every second in the background, at shutdown, and before feedback is attached.
actor MonitorWriter {
    let monitor: PredictionMonitor
    let store: AgentStore

    init(monitor: PredictionMonitor, store: AgentStore) {
        self.monitor = monitor
        self.store = store
    }

    func flush() async throws(AgentError) {
        let now = monitor.clock()
        let (predictions, windows) = monitor.takeWrites(now: now)
        try await store.recordMonitoring(predictions, windows: windows, settings: monitor.settings, now: now)
    }
}

/// Runs the ``MonitorWriter`` every `interval` while the agent runs, and once more at shutdown.
struct MonitorWriterService: Service {
    let writer: MonitorWriter
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            do {
                try await writer.flush()
            } catch {
                logger.warning("cannot record predictions and monitors", metadata: ["reason": "\(error)"])
            }
        }
    }
}

extension MonitorWriterService: CustomStringConvertible {
    var description: String { "monitor-writer" }
}
