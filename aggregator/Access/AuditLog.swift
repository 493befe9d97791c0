import Foundation
import Hummingbird
import StarlingProtocol
import StarlingStorage

/// The append-only record of state-changing admin calls (see ``AdminGate``): rows are only ever
/// inserted, and the table's triggers abort any `UPDATE` or `DELETE` (``AccessMigration``).
struct AuditLog: Sendable {
    let engine: any StorageEngine
    let clock: @Sendable () -> Date

    /// Records one call and how it ended.
    func append(
        caller: AdminPrincipal, method: String, route: String, targets: [String: String], status: Int, code: String?
    ) async throws(APIError) {
        let record = AuditEventRecord(
            id: nil, at: clock(), tokenId: caller.tokenId, role: caller.role, method: method, route: route,
            targets: targets, status: status, code: code)
        try await engine.writing { db in try db.insert(record) }
    }

    /// The calls recorded at or after `since` (all of them when nil), newest first, at most `limit`.
    func events(since: Date?, limit: Int) async throws(APIError) -> AuditEventList {
        let rows = try await engine.reading { db in
            if let since {
                return try db.fetchAll(
                    AuditEventRecord.self, "SELECT * FROM auditEvents WHERE at >= ? ORDER BY id DESC LIMIT ?", since,
                    limit)
            }
            return try db.fetchAll(AuditEventRecord.self, "SELECT * FROM auditEvents ORDER BY id DESC LIMIT ?", limit)
        }
        return AuditEventList(events: rows.map(\.event))
    }

    /// The `since` and `limit` of `GET /v1/admin/audit`: 400 `invalid_since` for a time that is not
    /// ISO 8601, 400 `invalid_limit` for a limit outside 1…``AuditLimit/maximum``.
    static func query(of request: Request) throws(APIError) -> (since: Date?, limit: Int) {
        let parameters = request.uri.queryParameters
        var since: Date?
        if let text = parameters.get("since") {
            guard let date = Self.date(String(text)) else {
                throw .badRequest(
                    .invalidSince,
                    "since must be an ISO 8601 time such as 2025-01-31T12:00:00Z, not '\(text.prefix(64))'")
            }
            since = date
        }
        var limit = AuditLimit.default
        if let text = parameters.get("limit") {
            guard let value = Int(text), (1...AuditLimit.maximum).contains(value) else {
                throw .badRequest(
                    .invalidLimit,
                    "limit must be a whole number from 1 to \(AuditLimit.maximum), not '\(text.prefix(64))'")
            }
            limit = value
        }
        return (since, limit)
    }

    private static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
