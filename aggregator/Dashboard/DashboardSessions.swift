import Foundation
import StarlingStorage

/// The dashboard's signed-in browsers, kept in the aggregator's database so that a session works on
/// every replica sharing it, survives a takeover by another replica and the aggregator's restart.
/// Only the SHA-256 of a session id is stored: the cookie's value is a secret the browser alone
/// holds. A session ends after ``idleLifetime`` without a request, after ``absoluteLifetime`` however
/// busy, and at sign-out; at most ``capacity`` live at once, the least recently used giving way.
struct DashboardSessions: Sendable {
    static let idleLifetime: TimeInterval = 30 * 60
    static let absoluteLifetime: TimeInterval = 12 * 60 * 60
    static let capacity = 1024

    let engine: any StorageEngine
    let clock: @Sendable () -> Date
    let idleLifetime: TimeInterval
    let absoluteLifetime: TimeInterval
    let capacity: Int

    init(
        engine: any StorageEngine, clock: @escaping @Sendable () -> Date,
        idleLifetime: TimeInterval = DashboardSessions.idleLifetime,
        absoluteLifetime: TimeInterval = DashboardSessions.absoluteLifetime, capacity: Int = DashboardSessions.capacity
    ) {
        self.engine = engine
        self.clock = clock
        self.idleLifetime = idleLifetime
        self.absoluteLifetime = absoluteLifetime
        self.capacity = capacity
    }

    /// How old a session's recorded last use may get before a request records it again, so that a
    /// page reloading itself every few seconds does not write each time: a thirtieth of the idle
    /// lifetime, a minute at most.
    var lastUseResolution: TimeInterval { min(60, idleLifetime / 30) }

    /// Opens a session for `tokenId` and returns its id, the cookie's value. Ended sessions are
    /// removed first, and the least recently used ones while there are `capacity` or more.
    func open(tokenId: String) async throws(APIError) -> (id: String, session: DashboardSession) {
        let now = clock()
        let id = Secrets.token(prefix: "")
        let session = DashboardSession(
            tokenId: tokenId, csrfToken: Secrets.token(prefix: ""), createdAt: now, lastUsedAt: now)
        let record = DashboardSessionRecord(id: id, session)
        try await engine.writing { [self] db in
            let stored = try db.fetchAll(DashboardSessionRecord.self, "SELECT * FROM dashboardSessions")
            let live = stored.filter { isLive($0.session, at: now) }.sorted { $0.lastUsedAt > $1.lastUsedAt }
            let leaving = stored.filter { !isLive($0.session, at: now) } + live.dropFirst(max(0, capacity - 1))
            for old in leaving { try db.execute("DELETE FROM dashboardSessions WHERE idHash = ?", old.idHash) }
            try db.insert(record)
        }
        return (id, session)
    }

    /// The live session with this id, its use recorded; nil for an unknown or ended one, which is
    /// removed.
    func use(id: String) async throws(APIError) -> DashboardSession? {
        let key = Secrets.hash(secret: id)
        guard let record = try await engine.reading({ db in try db.fetchOne(DashboardSessionRecord.self, key: key) })
        else { return nil }
        let now = clock()
        guard isLive(record.session, at: now) else {
            try await close(id: id)
            return nil
        }
        var session = record.session
        if now.timeIntervalSince(session.lastUsedAt) >= lastUseResolution {
            session.lastUsedAt = now
            try await engine.writing { db in
                try db.execute("UPDATE dashboardSessions SET lastUsedAt = ? WHERE idHash = ?", now, key)
            }
        }
        return session
    }

    /// Ends the session with this id, if there is one.
    func close(id: String) async throws(APIError) {
        let key = Secrets.hash(secret: id)
        try await engine.writing { db in try db.execute("DELETE FROM dashboardSessions WHERE idHash = ?", key) }
    }

    private func isLive(_ session: DashboardSession, at now: Date) -> Bool {
        now.timeIntervalSince(session.lastUsedAt) < idleLifetime
            && now.timeIntervalSince(session.createdAt) < absoluteLifetime
    }
}
