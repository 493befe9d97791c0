#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Tells the service manager (systemd) how the daemon is doing, through the `sd_notify` protocol:
/// one datagram per message to the Unix socket named by `NOTIFY_SOCKET` (a path, or an abstract
/// name after `@`). Exists so that units of `Type=notify` learn when the daemon is ready, that it
/// is alive (`WATCHDOG=1` within `WatchdogSec`), and when it stops. Without `NOTIFY_SOCKET` there
/// is no notifier, and nothing is sent.
public struct ServiceManagerNotifier: Sendable {
    /// The socket address, as `NOTIFY_SOCKET` gives it.
    public let socketPath: String
    /// How often the manager expects `WATCHDOG=1`, from `WATCHDOG_USEC` when `WATCHDOG_PID` is
    /// unset or this process; nil when the unit has no watchdog.
    public let watchdogInterval: Duration?

    /// The notifier the environment asks for, if any.
    public static func fromEnvironment() -> ServiceManagerNotifier? {
        guard let path = variable("NOTIFY_SOCKET"), !path.isEmpty, path.utf8.count < 108 else { return nil }
        var watchdog: Duration?
        if let text = variable("WATCHDOG_USEC"), let microseconds = Int64(text), microseconds > 0,
            variable("WATCHDOG_PID").map({ Int32($0) == getpid() }) ?? true
        {
            watchdog = .microseconds(microseconds)
        }
        return ServiceManagerNotifier(socketPath: path, watchdogInterval: watchdog)
    }

    public init(socketPath: String, watchdogInterval: Duration?) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    /// Sends `state` (newline-separated `KEY=value` lines); returns whether the datagram went out.
    @discardableResult
    public func send(_ state: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        // An abstract socket's name starts with a NUL where the variable has '@'.
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() where index < path.count { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        let sent = message.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == message.count
    }

    private static func variable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
