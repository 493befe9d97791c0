#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a device sends, once, to join the fleet: a short-lived enrollment token and a CSR for its own key.
public struct EnrollmentRequest: Codable, Sendable {
    public var token: String
    /// A PEM PKCS#10 request; the aggregator ignores its subject and names the device itself.
    public var csrPem: String
    public var tags: [Tag]

    public init(token: String, csrPem: String, tags: [Tag]) {
        self.token = token
        self.csrPem = csrPem
        self.tags = tags
    }
}

/// The aggregator's answer to an enrollment: who the device now is and where it talks from then on.
public struct EnrollmentResponse: Codable, Sendable {
    public var deviceId: String
    /// The device certificate, signed by the aggregator CA; its common name is `deviceId`.
    public var certificatePem: String
    public var caCertificatePem: String
    /// The mutual-TLS endpoint for every later device call.
    public var deviceUrl: String
    /// The aggregator's Ed25519 model-signing key, raw 32 bytes in base64.
    public var signingPublicKey: String

    public init(
        deviceId: String, certificatePem: String, caCertificatePem: String, deviceUrl: String,
        signingPublicKey: String
    ) {
        self.deviceId = deviceId
        self.certificatePem = certificatePem
        self.caCertificatePem = caCertificatePem
        self.deviceUrl = deviceUrl
        self.signingPublicKey = signingPublicKey
    }
}

/// An admin's request for a new enrollment token.
public struct CreateEnrollmentTokenRequest: Codable, Sendable {
    /// How long the token is valid; default one hour.
    public var ttlSeconds: Int?
    /// How many devices may enroll with it; default one.
    public var maxUses: Int?
    /// Tags given to every device that enrolls with this token, besides its own.
    public var tags: [Tag]?

    public init(ttlSeconds: Int? = nil, maxUses: Int? = nil, tags: [Tag]? = nil) {
        self.ttlSeconds = ttlSeconds
        self.maxUses = maxUses
        self.tags = tags
    }
}

/// A freshly made enrollment token. The secret is shown only in this answer; the aggregator keeps a hash.
public struct EnrollmentTokenInfo: Codable, Sendable {
    /// Names the token in listings and revocation; not a secret.
    public var id: String
    public var token: String
    public var expiresAt: Date
    public var maxUses: Int

    public init(id: String, token: String, expiresAt: Date, maxUses: Int) {
        self.id = id
        self.token = token
        self.expiresAt = expiresAt
        self.maxUses = maxUses
    }
}

/// One enrollment token as listings show it; never its secret.
public struct EnrollmentTokenSummary: Codable, Sendable, Equatable {
    public var id: String
    public var createdAt: Date
    public var expiresAt: Date
    /// How many more devices may enroll with it.
    public var usesLeft: Int
    /// Given to every device that enrolls with it.
    public var tags: [Tag]
    public var revokedAt: Date?

    public init(id: String, createdAt: Date, expiresAt: Date, usesLeft: Int, tags: [Tag], revokedAt: Date?) {
        self.id = id
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usesLeft = usesLeft
        self.tags = tags
        self.revokedAt = revokedAt
    }
}

/// The admin API's listing of enrollment tokens, oldest first.
public struct EnrollmentTokenList: Codable, Sendable {
    public var tokens: [EnrollmentTokenSummary]

    public init(tokens: [EnrollmentTokenSummary]) { self.tokens = tokens }
}

/// One enrolled device as the admin API shows it.
public struct DeviceInfo: Codable, Sendable, Equatable {
    public var id: String
    public var tags: [Tag]
    public var enrolledAt: Date
    public var lastSeen: Date?
    /// Whether the device holds a watch on its desired state right now.
    public var online: Bool
    public var sampleCount: Int
    /// The model and version the device last reported running, as `name@version`.
    public var runningModel: String?
    /// When an admin revoked the device; from then on its certificate is refused.
    public var revokedAt: Date?
    /// Why, as the admin put it.
    public var revocationReason: String?

    public init(
        id: String, tags: [Tag], enrolledAt: Date, lastSeen: Date?, online: Bool, sampleCount: Int,
        runningModel: String?, revokedAt: Date? = nil, revocationReason: String? = nil
    ) {
        self.id = id
        self.tags = tags
        self.enrolledAt = enrolledAt
        self.lastSeen = lastSeen
        self.online = online
        self.sampleCount = sampleCount
        self.runningModel = runningModel
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }
}

/// An admin's request to revoke a device: its certificate is refused from then on.
public struct RevokeDeviceRequest: Codable, Sendable {
    /// Longest reason the aggregator keeps, in characters.
    public static let maximumReasonLength = 500

    /// Why, for the device listing and the audit log.
    public var reason: String?

    public init(reason: String? = nil) { self.reason = reason }
}

/// The admin API's device listing: enrolled devices, revoked ones included, oldest enrollment first.
public struct DeviceList: Codable, Sendable {
    public var devices: [DeviceInfo]

    public init(devices: [DeviceInfo]) { self.devices = devices }
}
