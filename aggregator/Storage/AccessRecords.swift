import Foundation
import StarlingProtocol
import StarlingStorage

// Rows of the tables that decide who may do what, and of the audit log that records what they did.

/// An enrollment token; only the SHA-256 of its secret is kept.
struct EnrollmentTokenRecord: Codable, Sendable, StoredRecord {
    static let tableName = "enrollmentTokens"
    static let primaryKey = ["tokenHash"]
    var id: String
    var tokenHash: String
    var expiresAt: Date
    var usesLeft: Int
    var tags: [Tag]
    var createdAt: Date
    var revokedAt: Date?

    var summary: EnrollmentTokenSummary {
        EnrollmentTokenSummary(
            id: id, createdAt: createdAt, expiresAt: expiresAt, usesLeft: usesLeft, tags: tags, revokedAt: revokedAt)
    }
}

/// An admin bearer token; only the SHA-256 of its secret is kept.
struct AdminTokenRecord: Codable, Sendable, StoredRecord {
    static let tableName = "adminTokens"
    static let primaryKey = ["tokenHash"]
    var id: String
    var tokenHash: String
    var role: AdminRole
    var createdAt: Date
    /// Nil for a token that does not expire.
    var expiresAt: Date?
    var lastUsedAt: Date?
    var revokedAt: Date?

    var info: AdminTokenInfo {
        AdminTokenInfo(
            id: id, role: role, createdAt: createdAt, expiresAt: expiresAt, lastUsedAt: lastUsedAt, revokedAt: revokedAt
        )
    }
}

/// One recorded admin call. The table's triggers refuse every `UPDATE` and `DELETE`, so a row is
/// only ever inserted.
struct AuditEventRecord: Codable, Sendable, StoredRecord {
    static let tableName = "auditEvents"
    static let primaryKey = ["id"]
    static let generatedKey: String? = "id"
    /// Nil until inserted; SQLite assigns it.
    var id: Int64?
    var at: Date
    var tokenId: String
    var role: AdminRole
    var method: String
    var route: String
    var targets: [String: String]
    var status: Int
    var code: String?

    var event: AuditEvent {
        AuditEvent(
            id: Int(id ?? 0), at: at, tokenId: tokenId, role: role, method: method, route: route, targets: targets,
            status: status, code: code)
    }
}

/// A signed-in dashboard browser (``DashboardSessions``); only the SHA-256 of its session id is kept.
struct DashboardSessionRecord: Codable, Sendable, StoredRecord {
    static let tableName = "dashboardSessions"
    static let primaryKey = ["idHash"]
    var idHash: String
    var tokenId: String
    var csrfToken: String
    var createdAt: Date
    var lastUsedAt: Date

    init(id: String, _ session: DashboardSession) {
        idHash = Secrets.hash(secret: id)
        tokenId = session.tokenId
        csrfToken = session.csrfToken
        createdAt = session.createdAt
        lastUsedAt = session.lastUsedAt
    }

    var session: DashboardSession {
        DashboardSession(tokenId: tokenId, csrfToken: csrfToken, createdAt: createdAt, lastUsedAt: lastUsedAt)
    }
}
