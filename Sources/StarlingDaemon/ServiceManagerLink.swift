import Logging
import ServiceLifecycle

/// A daemon's link to the service manager, run as one of its services: once `ready` returns (the
/// daemon listens and can do its work) it sends `READY=1` with a status line, then `WATCHDOG=1`
/// every half watchdog interval for as long as it runs, and `STOPPING=1` when a graceful shutdown
/// begins. The watchdog pings come from the daemon's own task scheduling, so a daemon whose
/// executor is stuck stops pinging and the manager restarts it.
public struct ServiceManagerLink: Service {
    let notifier: ServiceManagerNotifier
    let ready: @Sendable () async -> String
    let logger: Logger

    /// `ready` waits until the daemon is ready and returns the status to show.
    public init(notifier: ServiceManagerNotifier, logger: Logger, ready: @escaping @Sendable () async -> String) {
        self.notifier = notifier
        self.ready = ready
        self.logger = logger
    }

    public func run() async throws {
        let status = await cancelWhenGracefulShutdown { await ready() }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        if !notifier.send("READY=1\nSTATUS=\(status)") {
            logger.warning("cannot notify the service manager", metadata: ["socket": "\(notifier.socketPath)"])
        }
        let pause = notifier.watchdogInterval.map { $0 / 2 } ?? .seconds(3600)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if notifier.watchdogInterval != nil { notifier.send("WATCHDOG=1") }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
        notifier.send("STOPPING=1")
    }
}
