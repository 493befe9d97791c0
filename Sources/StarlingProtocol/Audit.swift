#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One state-changing admin call as the audit log keeps it: who (token and role), what (method and
/// route template, with the ids it named or created), when, and how it ended.
public struct AuditEvent: Codable, Sendable, Equatable {
    /// Increasing with every call recorded.
    public var id: Int
    public var at: Date
    public var tokenId: String
    public var role: AdminRole
    public var method: String
    /// The route as registered, e.g. `/v1/admin/deployments/:id/:action`.
    public var route: String
    /// The route's parameters and the ids the call created, e.g. `["id": "dep-…", "action": "pause"]`
    /// or `["deployment": "dep-…"]`; keys hold no underscore, so the snake_case key conversion of
    /// ``StarlingJSON`` leaves them as they are.
    public var targets: [String: String]
    /// The HTTP status answered.
    public var status: Int
    /// The error code of a refused or failed call; nil when it succeeded.
    public var code: String?

    public init(
        id: Int, at: Date, tokenId: String, role: AdminRole, method: String, route: String,
        targets: [String: String], status: Int, code: String?
    ) {
        self.id = id
        self.at = at
        self.tokenId = tokenId
        self.role = role
        self.method = method
        self.route = route
        self.targets = targets
        self.status = status
        self.code = code
    }
}

/// The audit log's answer, newest call first.
public struct AuditEventList: Codable, Sendable {
    public var events: [AuditEvent]

    public init(events: [AuditEvent]) { self.events = events }
}

/// How many audit events one request may ask for, and how many it gets when it names no limit.
public enum AuditLimit {
    public static let `default` = 100
    public static let maximum = 10_000
}
