import Foundation

/// The dashboard's signed-in sessions, in memory: a restart signs everyone out.
///
/// A session id is a random secret that only its cookie holds; the table is keyed by its SHA-256,
/// like admin tokens. A session ends after ``idleLifetime`` without a request, ``absoluteLifetime``
/// after sign-in, or at sign-out; at most ``capacity`` live at once, and the least recently used
/// makes way for a new one.
actor DashboardSessions {
    static let idleLifetime: TimeInterval = 30 * 60
    static let absoluteLifetime: TimeInterval = 12 * 60 * 60
    static let capacity = 1024

    private let clock: @Sendable () -> Date
    private let idleLifetime: TimeInterval
    private let absoluteLifetime: TimeInterval
    private var sessions: [String: DashboardSession] = [:]

    init(
        clock: @escaping @Sendable () -> Date, idleLifetime: TimeInterval = DashboardSessions.idleLifetime,
        absoluteLifetime: TimeInterval = DashboardSessions.absoluteLifetime
    ) {
        self.clock = clock
        self.idleLifetime = idleLifetime
        self.absoluteLifetime = absoluteLifetime
    }

    /// Opens a session for `tokenId` and returns its id, the cookie's value.
    func open(tokenId: String) -> (id: String, session: DashboardSession) {
        let now = clock()
        sessions = sessions.filter { isLive($0.value, at: now) }
        if sessions.count >= Self.capacity, let oldest = sessions.min(by: { $0.value.lastUsedAt < $1.value.lastUsedAt })
        {
            sessions[oldest.key] = nil
        }
        let id = Secrets.token(prefix: "")
        let session = DashboardSession(
            tokenId: tokenId, csrfToken: Secrets.token(prefix: ""), createdAt: now, lastUsedAt: now)
        sessions[Secrets.hash(secret: id)] = session
        return (id, session)
    }

    /// The live session with this id, marked used now; nil for an unknown or expired one, which is
    /// forgotten.
    func use(id: String) -> DashboardSession? {
        let key = Secrets.hash(secret: id)
        guard var session = sessions[key] else { return nil }
        let now = clock()
        guard isLive(session, at: now) else {
            sessions[key] = nil
            return nil
        }
        session.lastUsedAt = now
        sessions[key] = session
        return session
    }

    /// Ends the session with this id, if there is one.
    func close(id: String) {
        sessions[Secrets.hash(secret: id)] = nil
    }

    private func isLive(_ session: DashboardSession, at now: Date) -> Bool {
        now.timeIntervalSince(session.lastUsedAt) < idleLifetime
            && now.timeIntervalSince(session.createdAt) < absoluteLifetime
    }
}
