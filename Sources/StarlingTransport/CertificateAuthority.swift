import Crypto
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The aggregator's own certificate authority (ECDSA P-256). It signs the aggregator's server
/// certificate and every device certificate, so trust in a Starling fleet never leaves the fleet.
public struct CertificateAuthority: Sendable {
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    /// Makes a new self-signed CA valid for ten years.
    public static func create(commonName: String) throws(PKIError) -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let name = distinguishedName(commonName)
        let now = Date()
        do {
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: .init(key.publicKey))
                },
                issuerPrivateKey: .init(key))
            return CertificateAuthority(certificate: certificate, key: key)
        } catch {
            throw PKIError("cannot create the certificate authority: \(error)")
        }
    }

    /// Loads a CA from its PEM certificate and PEM private key.
    public init(certificatePEM: String, privateKeyPEM: String) throws(PKIError) {
        do {
            self.certificate = try Certificate(pemEncoded: certificatePEM)
            self.key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw PKIError("cannot load the certificate authority: \(error)")
        }
    }

    init(certificate: Certificate, key: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    public var certificatePEM: String {
        get throws(PKIError) { try pem(certificate) }
    }

    public var privateKeyPEM: String { key.pemRepresentation }

    /// Issues a server certificate (and its fresh key) for these DNS names and IP addresses.
    public func issueServerIdentity(hosts: [String]) throws(PKIError) -> TLSIdentity {
        let serverKey = P256.Signing.PrivateKey()
        let names = hosts.map(Self.subjectName)
        let certificate = try issue(
            subject: Self.distinguishedName(hosts.first ?? "starling-aggregator"),
            publicKey: .init(serverKey.publicKey),
            validity: 2 * 365 * 86_400,
            usage: .serverAuth,
            alternativeNames: names)
        return TLSIdentity(certificateChainPEM: try pem(certificate), privateKeyPEM: serverKey.pemRepresentation)
    }

    /// Whether the server certificate `certificatePEM` must be issued again for `hosts`: it is one
    /// this authority issued and leaves out some of them (an aggregator now reached at a new
    /// address), so devices dialling that address would refuse it. A certificate from another
    /// authority (an operator's own) is never replaced, nor one that cannot be read: loading it
    /// says what is wrong.
    public func mustReissue(serverCertificatePEM certificatePEM: String, for hosts: [String]) -> Bool {
        guard let served = try? Certificate(pemEncoded: certificatePEM), served.issuer == certificate.subject,
            certificate.publicKey.isValidSignature(served.signature, for: served)
        else { return false }
        let named = ((try? served.extensions.subjectAlternativeNames) ?? nil).map { Set($0) } ?? []
        return !hosts.map(Self.subjectName).allSatisfy(named.contains)
    }

    /// A host as a certificate names it: an IP address literal as its address bytes, anything else
    /// as a DNS name.
    private static func subjectName(_ host: String) -> GeneralName {
        if let address = IPAddressBytes(host) {
            return .ipAddress(ASN1OctetString(contentBytes: address.bytes[...]))
        }
        return .dnsName(host)
    }

    /// Checks a device's certificate signing request and issues a one-year client certificate whose
    /// common name is `deviceId`; the subject the device asked for is ignored.
    public func signDeviceCSR(pem csrPEM: String, deviceId: String) throws(PKIError) -> String {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: csrPEM)
        } catch {
            throw PKIError("the certificate signing request is not valid PEM PKCS#10")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError("the certificate signing request's signature does not match its key")
        }
        let certificate = try issue(
            subject: Self.distinguishedName(deviceId),
            publicKey: request.publicKey,
            validity: 365 * 86_400,
            usage: .clientAuth,
            alternativeNames: [])
        return try pem(certificate)
    }

    private func issue(
        subject: DistinguishedName, publicKey: Certificate.PublicKey, validity: TimeInterval,
        usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName]
    ) throws(PKIError) -> Certificate {
        let now = Date()
        do {
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: now.addingTimeInterval(validity),
                issuer: certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                    try ExtendedKeyUsage([usage])
                    if !alternativeNames.isEmpty {
                        SubjectAlternativeNames(alternativeNames)
                    }
                },
                issuerPrivateKey: .init(key))
        } catch {
            throw PKIError("cannot issue a certificate: \(error)")
        }
    }

    static func distinguishedName(_ commonName: String) -> DistinguishedName {
        DistinguishedName([
            RelativeDistinguishedName(
                .init(type: .RDNAttributeType.organizationName, utf8String: "Starling")),
            RelativeDistinguishedName(
                .init(type: .RDNAttributeType.commonName, utf8String: commonName)),
        ])
    }
}

func pem(_ certificate: Certificate) throws(PKIError) -> String {
    do {
        return try certificate.serializeAsPEM().pemString
    } catch {
        throw PKIError("cannot encode a certificate as PEM: \(error)")
    }
}

/// The raw bytes of an IPv4 or IPv6 address literal, for a certificate's IP subject names.
struct IPAddressBytes {
    var bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }
}
