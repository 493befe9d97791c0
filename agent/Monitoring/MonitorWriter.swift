import Logging
import ServiceLifecycle

/// Bins the inputs the ``PredictionMonitor`` kept and writes what it collected (keyed predictions,
/// closed windows) to the store, one at a time so that a later prediction under a key is never
/// overwritten by an earlier one and no binned input lands in a window already written: every
/// second in the background, at shutdown, before feedback is attached and before a report.
public actor MonitorWriter {
    let monitor: PredictionMonitor
    let store: AgentStore

    public init(monitor: PredictionMonitor, store: AgentStore) {
        self.monitor = monitor
        self.store = store
    }

    public func flush() async throws(AgentError) {
        monitor.binPending()
        let now = monitor.clock()
        let (predictions, shadows, windows) = monitor.takeWrites(now: now)
        try await store.recordMonitoring(
            predictions, shadows: shadows, windows: windows, settings: monitor.settings, now: now)
    }
}

/// Runs the ``MonitorWriter`` every `interval` and whenever the monitor asks (much is waiting)
/// while the agent runs, and once more at shutdown.
public struct MonitorWriterService: Service {
    let writer: MonitorWriter
    let interval: Duration
    let logger: Logger

    public init(writer: MonitorWriter, interval: Duration, logger: Logger) {
        self.writer = writer
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let monitor = writer.monitor
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    monitor.wakeWriter()
                }
            }
            for await _ in monitor.wakeups.cancelOnGracefulShutdown() { await flush() }
            group.cancelAll()
        }
        await flush()
    }

    private func flush() async {
        do {
            try await writer.flush()
        } catch {
            logger.warning("cannot record predictions and monitors", metadata: ["reason": "\(error)"])
        }
    }
}

extension MonitorWriterService: CustomStringConvertible {
    public var description: String { "monitor-writer" }
}
