import Foundation
import StarlingTransport
import XCTest

final class PKITests: XCTestCase {
    func test_signDeviceCSR_issuesCertificateNamedAfterTheDevice() throws {
        let authority = try CertificateAuthority.create(commonName: "Starling test CA")
        let csr = try DeviceKey.generate().makeCSRPEM()

        let certificate = try authority.signDeviceCSR(pem: csr, deviceId: "dev-0123456789ab")

        XCTAssertEqual(PKI.commonName(ofPEM: certificate), "dev-0123456789ab")
    }

    func test_signDeviceCSR_rejectsTextThatIsNotACSR() throws {
        let authority = try CertificateAuthority.create(commonName: "Starling test CA")

        XCTAssertThrowsError(try authority.signDeviceCSR(pem: "not a csr", deviceId: "dev-1")) { error in
            XCTAssertTrue(String(describing: error).contains("not valid PEM"))
        }
    }

    func test_authority_reloadsFromItsOwnPEM() throws {
        let authority = try CertificateAuthority.create(commonName: "Starling test CA")

        let reloaded = try CertificateAuthority(
            certificatePEM: try authority.certificatePEM, privateKeyPEM: authority.privateKeyPEM)

        XCTAssertEqual(try reloaded.certificatePEM, try authority.certificatePEM)
        XCTAssertEqual(PKI.commonName(ofPEM: try reloaded.certificatePEM), "Starling test CA")
    }

    /// A server certificate of its own that names every host is kept; one that leaves a host out
    /// (a DNS name or an IP address) is to be issued again; an operator's certificate from another
    /// authority, and text that is no certificate, are never replaced.
    func test_mustReissue_onlyAServerCertificateOfItsOwnThatLacksAHost() throws {
        let authority = try CertificateAuthority.create(commonName: "Starling test CA")
        let hosts = ["127.0.0.1", "::1", "localhost", "agg.example"]
        let served = try authority.issueServerIdentity(hosts: hosts).certificateChainPEM

        XCTAssertFalse(authority.mustReissue(serverCertificatePEM: served, for: hosts))
        XCTAssertFalse(authority.mustReissue(serverCertificatePEM: served, for: ["localhost", "agg.example"]))
        XCTAssertTrue(authority.mustReissue(serverCertificatePEM: served, for: hosts + ["agg2.example"]))
        XCTAssertTrue(authority.mustReissue(serverCertificatePEM: served, for: hosts + ["10.0.0.7"]))
        XCTAssertTrue(authority.mustReissue(serverCertificatePEM: served, for: hosts + ["fd00::7"]))

        let other = try CertificateAuthority.create(commonName: "Starling test CA")
        let operators = try other.issueServerIdentity(hosts: ["localhost"]).certificateChainPEM
        XCTAssertFalse(authority.mustReissue(serverCertificatePEM: operators, for: hosts))
        XCTAssertFalse(authority.mustReissue(serverCertificatePEM: "not a certificate", for: hosts))
    }

    func test_serverIdentity_buildsServerAndMutualClientConfigurations() throws {
        let authority = try CertificateAuthority.create(commonName: "Starling test CA")
        let server = try authority.issueServerIdentity(hosts: ["127.0.0.1", "localhost", "::1"])
        let deviceKey = DeviceKey.generate()
        let device = TLSIdentity(
            certificateChainPEM: try authority.signDeviceCSR(pem: try deviceKey.makeCSRPEM(), deviceId: "dev-1"),
            privateKeyPEM: deviceKey.privateKeyPEM)

        let serverConfiguration = try TLSConfigurations.server(identity: server, clientCA: try authority.certificatePEM)
        let clientConfiguration = try TLSConfigurations.client(trusting: try authority.certificatePEM, identity: device)

        XCTAssertEqual(serverConfiguration.certificateVerification, .noHostnameVerification)
        XCTAssertEqual(clientConfiguration.certificateChain.count, 1)
    }
}
