import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads a daemon's configuration file on `SIGHUP`, as `systemctl reload` asks: the log level
/// takes effect at once; any other option that changed in the file is named in the log as waiting
/// for a restart, and keeps its running value. The service manager hears `RELOADING=1`, then
/// `READY=1` with the outcome. A file that no longer reads leaves everything as it was.
public struct ConfigurationReloader: Service {
    let path: String
    let levels: LogLevelSwitch
    let notifier: ServiceManagerNotifier?
    let logger: Logger
    /// The options the file held when the daemon started (or last reloaded).
    let loaded: [String]

    public init(path: String, levels: LogLevelSwitch, notifier: ServiceManagerNotifier?, logger: Logger) throws {
        self.path = path
        self.levels = levels
        self.notifier = notifier
        self.logger = logger
        loaded = Array(try ConfigurationFile.expand(["_", "--config", path]).dropFirst())
    }

    public func run() async throws {
        var current = loaded
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            notifier?.send("RELOADING=1")
            let status: String
            do {
                let fresh = Array(try ConfigurationFile.expand(["_", "--config", path]).dropFirst())
                status = apply(fresh, over: current)
                current = fresh
            } catch {
                status = "configuration not reloaded: \(error)"
                logger.error("cannot reload the configuration", metadata: ["file": "\(path)", "reason": "\(error)"])
            }
            notifier?.send("READY=1\nSTATUS=\(status)")
        }
    }

    /// Applies what can change in place; returns a status line.
    func apply(_ fresh: [String], over current: [String]) -> String {
        if let text = Self.value(of: "--log-level", in: fresh), let level = Logger.Level(rawValue: text) {
            levels.level = level
        }
        let waiting = Self.options(in: fresh).symmetricDifference(Self.options(in: current))
            .map { $0.option }.filter { $0 != "--log-level" }
        let pending = Set(waiting).sorted()
        logger.notice(
            "configuration reloaded",
            metadata: ["log_level": "\(levels.level)", "restart_needed_for": "\(pending.joined(separator: " "))"])
        return pending.isEmpty
            ? "configuration reloaded" : "configuration reloaded; a restart applies \(pending.joined(separator: ", "))"
    }

    /// The last value given for `option`.
    static func value(of option: String, in arguments: [String]) -> String? {
        var found: String?
        for (index, argument) in arguments.enumerated() where argument == option && index + 1 < arguments.count {
            found = arguments[index + 1]
        }
        return found
    }

    /// Each option with the value that follows it (nil for a flag).
    private static func options(in arguments: [String]) -> Set<OptionValue> {
        var options: Set<OptionValue> = []
        for (index, argument) in arguments.enumerated() where argument.hasPrefix("--") {
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            options.insert(OptionValue(option: argument, value: next.flatMap { $0.hasPrefix("--") ? nil : $0 }))
        }
        return options
    }

    private struct OptionValue: Hashable {
        var option: String
        var value: String?
    }
}
