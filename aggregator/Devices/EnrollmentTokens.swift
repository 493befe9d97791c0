import Foundation
import StarlingProtocol
import StarlingStorage

/// The enrollment tokens an admin hands out to new devices: made with a lifetime, a number of uses
/// and tags, listed without their secrets, and revoked so no further device enrolls with them.
/// Devices already enrolled with a revoked token keep their certificates (revoke those devices
/// one by one).
struct EnrollmentTokens: Sendable {
    let engine: any StorageEngine
    let clock: @Sendable () -> Date

    /// Makes a token (default: one use, one hour); only its hash is stored.
    func create(_ request: CreateEnrollmentTokenRequest) async throws(APIError) -> EnrollmentTokenInfo {
        let ttl = request.ttlSeconds ?? 3600
        let uses = request.maxUses ?? 1
        guard ttl > 0, ttl <= 30 * 86_400, uses > 0, uses <= 100_000 else {
            throw .badRequest(.invalidRequest, "ttl_seconds must be 1…2592000 and max_uses 1…100000")
        }
        let token = Secrets.token(prefix: "enr_")
        let now = clock()
        let record = EnrollmentTokenRecord(
            id: Secrets.identifier(prefix: "enr-"), tokenHash: Secrets.hash(secret: token),
            expiresAt: now.addingTimeInterval(TimeInterval(ttl)), usesLeft: uses, tags: request.tags ?? [],
            createdAt: now, revokedAt: nil)
        try await engine.writing { db in try db.insert(record) }
        return EnrollmentTokenInfo(id: record.id, token: token, expiresAt: record.expiresAt, maxUses: uses)
    }

    /// Every token, oldest first, spent, expired and revoked ones included.
    func list() async throws(APIError) -> EnrollmentTokenList {
        let rows = try await engine.reading { db in
            try db.fetchAll(EnrollmentTokenRecord.self, "SELECT * FROM enrollmentTokens ORDER BY createdAt, id")
        }
        return EnrollmentTokenList(tokens: rows.map(\.summary))
    }

    /// Revokes a token: enrolling with it is refused from now on (401 `enrollment_token_revoked`).
    /// Revoking a revoked token changes nothing; an unknown id is 404 `enrollment_token_not_found`.
    func revoke(id: String) async throws(APIError) -> EnrollmentTokenSummary {
        let now = clock()
        return try await engine.writing { db in
            guard
                var record = try db.fetchOne(
                    EnrollmentTokenRecord.self, "SELECT * FROM enrollmentTokens WHERE id = ?", id)
            else {
                throw APIError.notFound(
                    .enrollmentTokenNotFound, "there is no enrollment token with id '\(id.prefix(64))'")
            }
            if record.revokedAt == nil {
                record.revokedAt = now
                try db.update(record)
            }
            return record.summary
        }
    }
}
