import Logging
import ServiceLifecycle

/// How both daemons run: their services in one group that SIGTERM and SIGINT stop gracefully, plus
/// the ``ConfigurationReloader`` when they were started with a configuration file, and, under
/// systemd (`NOTIFY_SOCKET` set), the ``ServiceManagerLink`` that reports them ready once `ready`
/// returns.
public enum Daemon {
    public static func run(
        _ services: [any Service], config: String?, levels: LogLevelSwitch, logger: Logger,
        ready: @escaping @Sendable () async -> String
    ) async throws {
        let notifier = ServiceManagerNotifier.fromEnvironment()
        var all = services
        if let config {
            all.append(try ConfigurationReloader(path: config, levels: levels, notifier: notifier, logger: logger))
        }
        if let notifier { all.append(ServiceManagerLink(notifier: notifier, logger: logger, ready: ready)) }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: all.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
