#if canImport(Glibc)
    import Glibc
#endif

/// How long a server's connections may keep it waiting, and how many it keeps open: the defence
/// against clients that connect and never speak, or speak a byte at a time.
///
/// A connection must finish its TLS handshake and send a complete request head within
/// ``firstRequestSeconds`` of being accepted; between requests it may sit for ``idleSeconds``; a
/// request body may pause for at most ``bodyReadSeconds`` between reads. A listener holds at most
/// ``maximumConnections``; a new one beyond that takes the place of the oldest connection that has
/// not yet sent a request head, or is closed at once when every connection is busy.
public struct ConnectionLimits: Sendable, Equatable {
    public var firstRequestSeconds: Double
    public var idleSeconds: Double
    public var bodyReadSeconds: Double
    public var maximumConnections: Int

    public init(firstRequestSeconds: Double, idleSeconds: Double, bodyReadSeconds: Double, maximumConnections: Int) {
        self.firstRequestSeconds = firstRequestSeconds
        self.idleSeconds = idleSeconds
        self.bodyReadSeconds = bodyReadSeconds
        self.maximumConnections = maximumConnections
    }

    /// 10 s to the first request head, 60 s idle between requests, 30 s between body reads, and
    /// `maximumConnections` per listener.
    public static func standard(maximumConnections: Int) -> ConnectionLimits {
        ConnectionLimits(
            firstRequestSeconds: 10, idleSeconds: 60, bodyReadSeconds: 30, maximumConnections: maximumConnections)
    }

    /// A per-listener connection cap that keeps every listener together under the process's
    /// descriptor limit, with 256 descriptors left for the database, the files the server opens
    /// and the runtime (whose worker-pool monitor must open files of its own, and stops the
    /// process when it cannot): an equal share each, between 16 and 4,096.
    public static func defaultMaximumConnections(listeners: Int) -> Int {
        min(4_096, max(16, (descriptorLimit - 256) / max(1, listeners)))
    }

    /// The most connections a device listener may hold when the process's `otherListeners` other
    /// listeners keep their default cap (``defaultMaximumConnections(listeners:)``): what they and
    /// the 256 descriptors kept for the process leave of the descriptor limit, at least 16. The
    /// fleet connects to the device listener, so it may take more than an equal share.
    public static func deviceListenerBudget(otherListeners: Int) -> Int {
        let others = max(0, otherListeners) * defaultMaximumConnections(listeners: otherListeners + 1)
        return max(16, descriptorLimit - 256 - others)
    }

    /// The process's soft limit on open descriptors; 512 when it cannot be read.
    private static var descriptorLimit: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 512 }
        return limit.rlim_cur >= rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
    }

    /// These limits with the connection cap lowered to `budget` when it is above it.
    public func keeping(within budget: Int) -> ConnectionLimits {
        var limits = self
        limits.maximumConnections = min(maximumConnections, budget)
        return limits
    }
}
