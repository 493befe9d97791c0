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
