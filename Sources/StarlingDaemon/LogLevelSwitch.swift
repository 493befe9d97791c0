import Logging
import Synchronization

/// The log level of a running daemon, which a reload may change: every logger made by
/// ``SwitchedLogHandler`` reads it on each message.
public final class LogLevelSwitch: Sendable {
    private let current: Mutex<Logger.Level>

    public init(_ level: Logger.Level) {
        current = Mutex(level)
    }

    public var level: Logger.Level {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}

/// Standard-error logging at the level a ``LogLevelSwitch`` holds now.
public struct SwitchedLogHandler: LogHandler {
    private var handler: StreamLogHandler
    private let levels: LogLevelSwitch

    public init(label: String, levels: LogLevelSwitch) {
        handler = StreamLogHandler.standardError(label: label)
        self.levels = levels
    }

    public var logLevel: Logger.Level {
        get { levels.level }
        set { levels.level = newValue }
    }

    public var metadata: Logger.Metadata {
        get { handler.metadata }
        set { handler.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { handler[metadataKey: key] }
        set { handler[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        handler.log(event: event)
    }
}
