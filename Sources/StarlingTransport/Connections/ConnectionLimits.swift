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
    /// descriptor limit, with 128 descriptors left for the database and the files the server
    /// opens: an equal share each, between 16 and 4,096.
    public static func defaultMaximumConnections(listeners: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 256 }
        let soft = limit.rlim_cur >= rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
        return min(4_096, max(16, (soft - 128) / max(1, listeners)))
    }
}
