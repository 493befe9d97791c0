import Crypto
import Foundation
import StarlingTransport

/// The aggregator's long-lived secrets: its CA, its TLS server identity and its Ed25519 model-signing
/// key. Made on the first run in `DIR/pki` (keys mode 0600) and loaded on every later run.
struct AggregatorIdentity: Sendable {
    let authority: CertificateAuthority
    let caCertificatePEM: String
    let server: TLSIdentity
    let signingKey: Curve25519.Signing.PrivateKey

    /// Loads the identity from `directory`, creating whatever is missing; the server certificate
    /// names loopback and every host in `hosts`, and one this CA issued is issued again (with a
    /// fresh key) when a host is new to it, as when `--device-url` or `--public-url` moves.
    static func loadOrCreate(in directory: DataDirectory, hosts: [String]) throws(BootstrapError) -> AggregatorIdentity
    {
        let files = FileManager.default
        do {
            let authority: CertificateAuthority
            if files.fileExists(atPath: directory.caCertificate.path) {
                authority = try CertificateAuthority(
                    certificatePEM: try PEMFile.read(directory.caCertificate),
                    privateKeyPEM: try PEMFile.read(directory.caKey))
            } else {
                authority = try CertificateAuthority.create(commonName: "Starling aggregator CA")
                try AtomicFile.write(authority.privateKeyPEM, to: directory.caKey, permissions: 0o600)
                try AtomicFile.write(try authority.certificatePEM, to: directory.caCertificate)
            }
            var names = ["127.0.0.1", "::1", "localhost"]
            for host in hosts where !names.contains(host) { names.append(host) }
            let existing =
                files.fileExists(atPath: directory.serverCertificate.path)
                ? try TLSIdentity.load(certificate: directory.serverCertificate, privateKey: directory.serverKey) : nil
            let server: TLSIdentity
            if let existing, !authority.mustReissue(serverCertificatePEM: existing.certificateChainPEM, for: names) {
                server = existing
            } else {
                // The key first: a stop between the two writes leaves the certificate before it,
                // missing or lacking a host, so the next start issues both again.
                server = try authority.issueServerIdentity(hosts: names)
                try AtomicFile.write(server.privateKeyPEM, to: directory.serverKey, permissions: 0o600)
                try AtomicFile.write(server.certificateChainPEM, to: directory.serverCertificate)
            }
            return AggregatorIdentity(
                authority: authority, caCertificatePEM: try authority.certificatePEM, server: server,
                signingKey: try loadOrCreateSigningKey(at: directory.signingKey))
        } catch let error as BootstrapError {
            throw error
        } catch {
            throw BootstrapError("cannot set up the aggregator's keys in \(directory.pki.path): \(error)")
        }
    }

    /// The public half of the signing key, raw 32 bytes in base64, as enrollment hands it out.
    var signingPublicKeyBase64: String { signingKey.publicKey.rawRepresentation.base64EncodedString() }

    private static func loadOrCreateSigningKey(at url: URL) throws -> Curve25519.Signing.PrivateKey {
        if let raw = FileManager.default.contents(atPath: url.path) {
            guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
                throw BootstrapError("\(url.path) is not a raw 32-byte Ed25519 private key")
            }
            return key
        }
        let key = Curve25519.Signing.PrivateKey()
        try AtomicFile.write(Array(key.rawRepresentation), to: url, permissions: 0o600)
        return key
    }
}

/// Why the aggregator could not prepare its data folder, in one sentence.
public struct BootstrapError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
