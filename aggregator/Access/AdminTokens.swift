import Foundation
import StarlingProtocol
import StarlingStorage

/// The admin bearer tokens: each has a role and, unless it is the first one, an expiry. Only the
/// SHA-256 of a secret is stored; listings show ids, never secrets. Every admin call looks its token
/// up here, so a revocation takes effect with the next call, and survives restarts because it is a
/// row like any other.
struct AdminTokens: Sendable {
    let engine: any StorageEngine
    let clock: @Sendable () -> Date

    /// How old a token's recorded last use may get before a call records it again, so a busy client
    /// does not write to the database on every call.
    static let lastUseResolution: TimeInterval = 60

    /// Makes a token; its secret is returned here and nowhere else.
    func create(_ request: CreateAdminTokenRequest) async throws(APIError) -> CreatedAdminToken {
        guard let role = AdminRole(rawValue: request.role) else {
            throw .badRequest(
                .invalidRole,
                "'\(request.role.prefix(64))' is not a role; a token's role is \(AdminRole.spelledOut)")
        }
        let ttl = request.ttlSeconds ?? AdminTokenLifetime.defaultSeconds
        guard (1...AdminTokenLifetime.maximumSeconds).contains(ttl) else {
            throw .badRequest(
                .invalidTTL,
                "ttl_seconds must be from 1 to \(AdminTokenLifetime.maximumSeconds) (365 days), not \(ttl)")
        }
        let secret = Secrets.token(prefix: "stk_")
        let now = clock()
        let record = AdminTokenRecord(
            id: Self.newID(), tokenHash: Secrets.hash(secret: secret), role: role, createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(ttl)), lastUsedAt: nil, revokedAt: nil)
        try await engine.writing { db in try db.insert(record) }
        return CreatedAdminToken(token: secret, info: record.info)
    }

    /// Every token, oldest first, revoked and expired ones included.
    func list() async throws(APIError) -> AdminTokenList {
        let rows = try await engine.reading { db in
            try db.fetchAll(AdminTokenRecord.self, "SELECT * FROM adminTokens ORDER BY createdAt, id")
        }
        return AdminTokenList(tokens: rows.map(\.info))
    }

    /// Revokes a token from the next call on. Revoking a revoked token changes nothing. 404
    /// `token_not_found` for an unknown id; 409 `last_admin_token` when it is the last working
    /// token of role admin, since revoking it would leave nobody able to manage access.
    func revoke(id: String) async throws(APIError) -> AdminTokenInfo {
        let now = clock()
        return try await engine.writing { db in
            guard var record = try db.fetchOne(AdminTokenRecord.self, "SELECT * FROM adminTokens WHERE id = ?", id)
            else {
                throw APIError.notFound(.tokenNotFound, "there is no admin token with id '\(id.prefix(64))'")
            }
            guard record.revokedAt == nil else { return record.info }
            if record.role == .admin, try Self.workingAdmins(db, at: now) <= 1, Self.works(record, at: now) {
                throw APIError.conflict(
                    .lastAdminToken,
                    "\(id) is the last working admin token; create another admin token before revoking it")
            }
            record.revokedAt = now
            try db.update(record)
            return record.info
        }
    }

    /// The caller behind a bearer secret: 401 `unauthorized` for a secret no token has, 401
    /// `token_revoked` and `token_expired` for a token that no longer works.
    func authenticate(secret: String) async throws(APIError) -> AdminPrincipal {
        let hash = Secrets.hash(secret: secret)
        guard
            let record = try await engine.reading({ db in try db.fetchOne(AdminTokenRecord.self, key: hash) })
        else { throw APIError.unknownToken }
        let now = clock()
        try Self.refuseUnlessWorking(record, at: now)
        if record.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.lastUseResolution }) ?? true {
            let id = record.id
            try await engine.writing { db in
                _ = try db.execute("UPDATE adminTokens SET lastUsedAt = ? WHERE id = ?", now, id)
            }
        }
        return AdminPrincipal(tokenId: record.id, role: record.role)
    }

    /// The caller behind a token id, for a dashboard session signed in with that token: 401
    /// `unauthorized` for an id no token has, `token_revoked` and `token_expired` for a token that
    /// no longer works.
    func principal(id: String) async throws(APIError) -> AdminPrincipal {
        guard
            let record = try await engine.reading({ db in
                try db.fetchOne(AdminTokenRecord.self, "SELECT * FROM adminTokens WHERE id = ?", id)
            })
        else { throw APIError.unknownToken }
        try Self.refuseUnlessWorking(record, at: clock())
        return AdminPrincipal(tokenId: record.id, role: record.role)
    }

    /// A new token id: `adm-` and 12 hex digits.
    static func newID() -> String { Secrets.identifier(prefix: "adm-") }

    private static func refuseUnlessWorking(_ record: AdminTokenRecord, at now: Date) throws(APIError) {
        if let revokedAt = record.revokedAt {
            throw APIError(
                .unauthorized, .tokenRevoked,
                "this admin token (\(record.id)) was revoked at \(revokedAt.ISO8601Format()); "
                    + "ask an admin for a new one")
        }
        if let expiresAt = record.expiresAt, expiresAt <= now {
            throw APIError(
                .unauthorized, .tokenExpired,
                "this admin token (\(record.id)) expired at \(expiresAt.ISO8601Format()); ask an admin for a new one")
        }
    }

    private static func works(_ record: AdminTokenRecord, at now: Date) -> Bool {
        record.revokedAt == nil && (record.expiresAt.map { $0 > now } ?? true)
    }

    private static func workingAdmins(_ db: any SQLConnection, at now: Date) throws -> Int {
        try db.fetchAll(AdminTokenRecord.self, "SELECT * FROM adminTokens WHERE role = ?", AdminRole.admin.rawValue)
            .filter { works($0, at: now) }.count
    }
}
