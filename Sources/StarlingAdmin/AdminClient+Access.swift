import Foundation
import StarlingProtocol
import StarlingTransport

/// The admin calls that manage access: admin tokens and their roles, enrollment tokens, device
/// revocation, and the audit log.
extension AdminClient {
    /// A new admin token; its secret is in this answer only.
    public func createAdminToken(_ request: CreateAdminTokenRequest) async throws(AdminError) -> CreatedAdminToken {
        try await call { () async throws(StarlingHTTPError) in try await http.post(APIPath.adminTokens, json: request) }
    }

    public func adminTokens() async throws(AdminError) -> [AdminTokenInfo] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminTokens, as: AdminTokenList.self)
        }.tokens
    }

    public func revokeAdminToken(id: String) async throws(AdminError) -> AdminTokenInfo {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminTokenRevocation(id: id), json: EmptyBody())
        }
    }

    public func enrollmentTokens() async throws(AdminError) -> [EnrollmentTokenSummary] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminEnrollmentTokens, as: EnrollmentTokenList.self)
        }.tokens
    }

    public func revokeEnrollmentToken(id: String) async throws(AdminError) -> EnrollmentTokenSummary {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminEnrollmentTokenRevocation(id: id), json: EmptyBody())
        }
    }

    public func revokeDevice(id: String, reason: String?) async throws(AdminError) -> DeviceInfo {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminDeviceRevocation(id: id), json: RevokeDeviceRequest(reason: reason))
        }
    }

    /// The audit log, newest call first: those at or after `since`, at most `limit`.
    public func audit(since: Date?, limit: Int?) async throws(AdminError) -> [AuditEvent] {
        var query: [String] = []
        if let since { query.append("since=\(Format.timestamp(since))") }
        if let limit { query.append("limit=\(limit)") }
        let path = APIPath.adminAudit + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return try await call { () async throws(StarlingHTTPError) in
            try await http.get(path, as: AuditEventList.self)
        }.events
    }
}
