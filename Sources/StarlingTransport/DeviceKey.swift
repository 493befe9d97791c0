import Crypto
import X509

/// A device's own private key (ECDSA P-256), which never leaves the device, and the certificate
/// signing request it sends at enrollment.
public struct DeviceKey: Sendable {
    let key: P256.Signing.PrivateKey

    /// Makes a fresh key.
    public static func generate() -> DeviceKey { DeviceKey(key: P256.Signing.PrivateKey()) }

    /// Loads a key kept in PEM form.
    public init(privateKeyPEM: String) throws(PKIError) {
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw PKIError("the device key is not a valid PEM P-256 private key")
        }
    }

    init(key: P256.Signing.PrivateKey) { self.key = key }

    public var privateKeyPEM: String { key.pemRepresentation }

    /// A PEM PKCS#10 request for this key; the aggregator chooses the certificate's name.
    public func makeCSRPEM(commonName: String = "starling-device") throws(PKIError) -> String {
        do {
            let request = try CertificateSigningRequest(
                version: .v1,
                subject: DistinguishedName([
                    RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: commonName))
                ]),
                privateKey: .init(key),
                attributes: CertificateSigningRequest.Attributes())
            return try request.serializeAsPEM().pemString
        } catch {
            throw PKIError("cannot make a certificate signing request: \(error)")
        }
    }
}

/// Reading names out of certificates.
public enum PKI {
    /// The common name of a DER-encoded certificate: the device id of a client certificate.
    public static func commonName(ofDER der: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        return commonName(of: certificate)
    }

    /// The common name of a PEM certificate (the first in the text).
    public static func commonName(ofPEM pem: String) -> String? {
        guard let certificate = try? Certificate(pemEncoded: pem) else { return nil }
        return commonName(of: certificate)
    }

    static func commonName(of certificate: Certificate) -> String? {
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}
