#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How long an admin token may live: the default when a request names no lifetime, and the
/// longest one may ask for.
public enum AdminTokenLifetime {
    /// 90 days.
    public static let defaultSeconds = 90 * 86_400
    /// 365 days.
    public static let maximumSeconds = 365 * 86_400
}

/// An admin's request for a new admin bearer token.
public struct CreateAdminTokenRequest: Codable, Sendable {
    /// `viewer`, `operator` or `admin` (see ``AdminRole``); text, so a wrong name is answered with
    /// the roles there are.
    public var role: String
    /// Seconds until it expires, 1…``AdminTokenLifetime/maximumSeconds``; default
    /// ``AdminTokenLifetime/defaultSeconds``.
    public var ttlSeconds: Int?

    public init(role: String, ttlSeconds: Int? = nil) {
        self.role = role
        self.ttlSeconds = ttlSeconds
    }
}

/// One admin token as listings show it; never its secret.
public struct AdminTokenInfo: Codable, Sendable, Equatable {
    public var id: String
    public var role: AdminRole
    public var createdAt: Date
    /// Nil for a token that does not expire (the first admin token, in `DIR/admin.token`).
    public var expiresAt: Date?
    /// When it last authenticated a call, to the minute.
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: String, role: AdminRole, createdAt: Date, expiresAt: Date?, lastUsedAt: Date?, revokedAt: Date?
    ) {
        self.id = id
        self.role = role
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A freshly made admin token. The secret is in this answer only; the aggregator keeps its hash.
public struct CreatedAdminToken: Codable, Sendable {
    public var token: String
    public var info: AdminTokenInfo

    public init(token: String, info: AdminTokenInfo) {
        self.token = token
        self.info = info
    }
}

/// The admin API's listing of admin tokens, oldest first.
public struct AdminTokenList: Codable, Sendable {
    public var tokens: [AdminTokenInfo]

    public init(tokens: [AdminTokenInfo]) { self.tokens = tokens }
}
