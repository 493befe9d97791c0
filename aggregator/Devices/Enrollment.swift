import Foundation
import GRDB
import StarlingProtocol
import StarlingTransport

/// Turning an enrollment token and a CSR into a device: the token is checked and spent, the CA
/// signs a certificate whose common name is the new device id, and the device row is committed.
struct Enrollment: Sendable {
    let pool: DatabasePool
    let devices: DeviceRegistry
    let authority: CertificateAuthority
    let caCertificatePEM: String
    let signingPublicKey: String
    let clock: @Sendable () -> Date

    /// Makes a token (default: one use, one hour); only its hash is stored.
    func createToken(_ request: CreateEnrollmentTokenRequest) async throws(APIError) -> EnrollmentTokenInfo {
        let ttl = request.ttlSeconds ?? 3600
        let uses = request.maxUses ?? 1
        guard ttl > 0, ttl <= 30 * 86_400, uses > 0, uses <= 100_000 else {
            throw .badRequest("invalid_request", "ttl_seconds must be 1…2592000 and max_uses 1…100000")
        }
        let token = Secrets.token(prefix: "enr_")
        let record = EnrollmentTokenRecord(
            tokenHash: Secrets.hash(secret: token), expiresAt: clock().addingTimeInterval(TimeInterval(ttl)),
            usesLeft: uses, tags: request.tags ?? [], createdAt: clock())
        try await pool.writing { db in try record.insert(db) }
        return EnrollmentTokenInfo(token: token, expiresAt: record.expiresAt, maxUses: uses)
    }

    /// Enrolls a device; `deviceURL` is the mutual-TLS endpoint it is told to use.
    func enroll(_ request: EnrollmentRequest, deviceURL: String) async throws(APIError) -> EnrollmentResponse {
        let hash = Secrets.hash(secret: request.token)
        let now = clock()
        _ = try await pool.reading { db in try Self.usableToken(hash: hash, now: now, db) }
        let deviceID = Secrets.identifier(prefix: "dev-")
        let certificate: String
        do {
            certificate = try authority.signDeviceCSR(pem: request.csrPem, deviceId: deviceID)
        } catch {
            throw .badRequest("invalid_csr", error.description)
        }
        let record = try await pool.writing { db in
            var token = try Self.usableToken(hash: hash, now: now, db)
            token.usesLeft -= 1
            try token.update(db)
            var tags = request.tags
            for tag in token.tags where !tags.contains(tag) { tags.append(tag) }
            let record = DeviceRecord(
                id: deviceID, tags: tags, certificatePEM: certificate, enrolledAt: now, lastSeen: nil,
                sampleCount: 0, runningModel: nil, revoked: false)
            try record.insert(db)
            return record
        }
        devices.directory.add(Device(record))
        return EnrollmentResponse(
            deviceId: deviceID, certificatePem: certificate, caCertificatePem: caCertificatePEM,
            deviceUrl: deviceURL, signingPublicKey: signingPublicKey)
    }

    private static func usableToken(hash: String, now: Date, _ db: Database) throws -> EnrollmentTokenRecord {
        guard let token = try EnrollmentTokenRecord.fetchOne(db, key: hash), token.expiresAt > now, token.usesLeft > 0
        else {
            throw APIError(.unauthorized, "invalid_enrollment_token", "the enrollment token is unknown, expired or used up")
        }
        return token
    }
}
