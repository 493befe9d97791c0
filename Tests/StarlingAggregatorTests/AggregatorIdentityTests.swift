import Foundation
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// The aggregator's server certificate follows the hosts it is reached at: a start that names a new
/// host (a moved `--device-url` or `--public-url`) gets a certificate naming it from the same
/// authority, so enrolled devices keep trusting the aggregator; a start with the hosts it has keeps
/// the certificate and key it has.
final class AggregatorIdentityTests: XCTestCase {
    func test_aNewHost_getsTheServerCertificateIssuedAgain_underTheSameAuthority() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let directory = DataDirectory(folder)
        try FileManager.default.createDirectory(at: directory.pki, withIntermediateDirectories: true)

        let first = try AggregatorIdentity.loadOrCreate(in: directory, hosts: ["agg.example"])
        let kept = try AggregatorIdentity.loadOrCreate(in: directory, hosts: ["agg.example"])
        XCTAssertEqual(kept.server.certificateChainPEM, first.server.certificateChainPEM)
        XCTAssertEqual(kept.server.privateKeyPEM, first.server.privateKeyPEM)

        let moved = try AggregatorIdentity.loadOrCreate(in: directory, hosts: ["agg.example", "10.1.2.3"])
        XCTAssertEqual(moved.caCertificatePEM, first.caCertificatePEM)
        XCTAssertNotEqual(moved.server.certificateChainPEM, first.server.certificateChainPEM)
        XCTAssertNotEqual(moved.server.privateKeyPEM, first.server.privateKeyPEM)
        XCTAssertFalse(
            moved.authority.mustReissue(
                serverCertificatePEM: moved.server.certificateChainPEM,
                for: ["127.0.0.1", "::1", "localhost", "agg.example", "10.1.2.3"]))
        let onDisk = try TLSIdentity.load(certificate: directory.serverCertificate, privateKey: directory.serverKey)
        XCTAssertEqual(onDisk.certificateChainPEM, moved.server.certificateChainPEM)
        XCTAssertEqual(onDisk.privateKeyPEM, moved.server.privateKeyPEM)
    }
}
