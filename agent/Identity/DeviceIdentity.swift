import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Who this device is once enrolled: its key and certificate, the CA it trusts and the mutual-TLS
/// URL it talks to. Kept in `DATA/identity/` so a restart skips enrollment.
public struct DeviceIdentity: Sendable, Equatable {
    public var deviceId: String
    /// The aggregator's mutual-TLS endpoint for every device call.
    public var deviceURL: String
    /// The aggregator's Ed25519 model-signing key, raw 32 bytes in base64.
    public var signingPublicKey: String
    /// The device certificate and its private key.
    public var tls: TLSIdentity
    public var caCertificatePEM: String

    public init(
        deviceId: String, deviceURL: String, signingPublicKey: String, tls: TLSIdentity, caCertificatePEM: String
    ) {
        self.deviceId = deviceId
        self.deviceURL = deviceURL
        self.signingPublicKey = signingPublicKey
        self.tls = tls
        self.caCertificatePEM = caCertificatePEM
    }

    /// The stored identity, or nil when the device has not enrolled yet.
    static func load(from paths: AgentPaths) throws(AgentError) -> DeviceIdentity? {
        guard FileManager.default.fileExists(atPath: paths.identityRecord.path) else { return nil }
        let record: IdentityRecord
        do {
            let data = try Data(contentsOf: paths.identityRecord)
            record = try StarlingJSON.decoder().decode(IdentityRecord.self, from: data)
            return DeviceIdentity(
                deviceId: record.deviceId, deviceURL: record.deviceUrl, signingPublicKey: record.signingPublicKey,
                tls: try TLSIdentity.load(certificate: paths.certificate, privateKey: paths.privateKey),
                caCertificatePEM: try PEMFile.read(paths.caCertificate))
        } catch {
            throw .unreadableFile(path: paths.identityDirectory.path, reason: "\(error)")
        }
    }

    /// Writes the identity atomically; the record goes last so a crash never leaves half an identity.
    func save(to paths: AgentPaths) throws(AgentError) {
        let record = IdentityRecord(deviceId: deviceId, deviceUrl: deviceURL, signingPublicKey: signingPublicKey)
        do {
            try AtomicFile.write(tls.privateKeyPEM, to: paths.privateKey, permissions: 0o600)
            try AtomicFile.write(tls.certificateChainPEM, to: paths.certificate)
            try AtomicFile.write(caCertificatePEM, to: paths.caCertificate)
            try AtomicFile.write(try StarlingJSON.line(record), to: paths.identityRecord)
        } catch {
            throw .unwritableFile("\(error)")
        }
    }

    /// A client for the device listener, presenting the device certificate (mutual TLS) and
    /// offering HTTP/2, which an aggregator run with `--device-http2` takes (see
    /// ``StarlingHTTPClient``).
    func makeDeviceClient() throws(AgentError) -> StarlingHTTPClient {
        do {
            let tls = try TLSConfigurations.client(trusting: caCertificatePEM, identity: tls)
            return StarlingHTTPClient(baseURL: deviceURL, tls: tls, http2: true)
        } catch {
            throw .unreadableFile(path: "identity", reason: error.description)
        }
    }
}

/// The JSON part of a stored identity.
private struct IdentityRecord: Codable {
    var deviceId: String
    var deviceUrl: String
    var signingPublicKey: String
}
