import Foundation
import StarlingProtocol
import StarlingStorage
import StarlingTransport

/// Turning an enrollment token and a CSR into a device: the token is checked and spent, the CA
/// signs a certificate whose common name is the new device id, and the device row is committed.
/// Every enrollment makes a new device id, so a revoked device that enrolls again is a new device
/// and its old identity stays revoked.
struct Enrollment: Sendable {
    let engine: any StorageEngine
    let devices: DeviceRegistry
    let authority: CertificateAuthority
    let caCertificatePEM: String
    let signingPublicKey: String
    let clock: @Sendable () -> Date

    /// Enrolls a device; `deviceURL` is the mutual-TLS endpoint it is told to use. The device gets
    /// the token's tags and may add its own only under `device.` (403 `tag_not_allowed` otherwise).
    func enroll(_ request: EnrollmentRequest, deviceURL: String) async throws(APIError) -> EnrollmentResponse {
        if let claimed = request.tags.first(where: { !$0.isDeviceReported }) {
            throw APIError(
                .forbidden, .tagNotAllowed,
                "a device may only set tags under '\(Tag.devicePrefix)' on itself, not \(claimed); operators give "
                    + "other tags through the enrollment token")
        }
        let hash = Secrets.hash(secret: request.token)
        let now = clock()
        _ = try await engine.reading { db in try Self.usableToken(hash: hash, now: now, db) }
        let deviceID = Secrets.identifier(prefix: "dev-")
        let certificate: String
        do {
            certificate = try authority.signDeviceCSR(pem: request.csrPem, deviceId: deviceID)
        } catch {
            throw .badRequest(.invalidCSR, error.description)
        }
        let record = try await engine.writing { db in
            var token = try Self.usableToken(hash: hash, now: now, db)
            token.usesLeft -= 1
            try db.update(token)
            var tags = request.tags
            for tag in token.tags where !tags.contains(tag) { tags.append(tag) }
            let record = DeviceRecord(
                id: deviceID, tags: tags, certificatePEM: certificate, enrolledAt: now, lastSeen: nil,
                sampleCount: 0, runningModel: nil, revoked: false, revokedAt: nil, revocationReason: nil)
            try db.insert(record)
            return record
        }
        devices.directory.add(Device(record))
        return EnrollmentResponse(
            deviceId: deviceID, certificatePem: certificate, caCertificatePem: caCertificatePEM,
            deviceUrl: deviceURL, signingPublicKey: signingPublicKey)
    }

    /// The token behind `hash` if it may enroll a device now: 401 `enrollment_token_revoked` for a
    /// revoked one, `invalid_enrollment_token` for one unknown, expired or used up.
    private static func usableToken(hash: String, now: Date, _ db: any SQLConnection) throws -> EnrollmentTokenRecord {
        let token = try db.fetchOne(EnrollmentTokenRecord.self, key: hash)
        if let token, token.revokedAt != nil {
            throw APIError(.unauthorized, .enrollmentTokenRevoked, "an admin revoked this enrollment token")
        }
        guard let token, token.expiresAt > now, token.usesLeft > 0 else {
            throw APIError(
                .unauthorized, .invalidEnrollmentToken, "the enrollment token is unknown, expired or used up")
        }
        return token
    }
}
