import Foundation
import StarlingProtocol
import StarlingStorage
import StarlingTestSupport
import X509
import XCTest

@testable import StarlingAggregator

/// A replica started with a public URL (`--public-url`) is reached at that URL, not at the address
/// its listener is bound to, when another replica forwards a call that only the leader carries out;
/// and the server certificate it creates names that URL's host, so the others can verify it.
final class ReplicaPublicURLTests: XCTestCase {
    func test_theLeadersAdvertisedPublicURL_isWhereTheOtherReplicaForwardsLeaderOnlyCalls() async throws {
        // The advertised URL is another aggregator's, with the same CA and admin token but a
        // database of its own: a call forwarded there finds what only that aggregator holds.
        let elsewhere = try await TestAggregator.start(sqlite: true)
        addTeardownBlock { try await elsewhere.stop() }
        let onlyElsewhere = try await elsewhere.enroll()
        addTeardownBlock { await onlyElsewhere.client.shutdown() }

        let schema = try PostgreSQLTestSchema()
        addTeardownBlock { try await schema.drop() }
        let leader = try await TestAggregator.start(
            folder: try elsewhere.replicaFolder(), databaseURL: schema.url,
            advertisedPublicURL: elsewhere.endpoints.url)
        addTeardownBlock { try await leader.stop() }
        let follower = try await TestAggregator.start(folder: try leader.replicaFolder(), databaseURL: schema.url)
        addTeardownBlock { try await follower.stop() }

        let recorded = try await leader.openStorage().engine.read { db in
            try db.rows(SQLStatement("SELECT publicUrl FROM replicaEndpoints")).map { try $0.text("publicUrl") }
        }
        XCTAssertEqual(Set(recorded), [elsewhere.endpoints.url, follower.endpoints.url])

        let revocation = RevokeDeviceRequest(reason: "lost")
        await assertAPIError(status: 404, code: "device_not_found") {
            let _: DeviceInfo = try await leader.admin.post(
                APIPath.adminDeviceRevocation(id: onlyElsewhere.id), json: revocation)
        }
        let forwarded: DeviceInfo = try await follower.admin.post(
            APIPath.adminDeviceRevocation(id: onlyElsewhere.id), json: revocation)
        XCTAssertEqual(forwarded.id, onlyElsewhere.id)
        XCTAssertNotNil(forwarded.revokedAt, "revoked where the advertised URL leads")
    }

    func test_anAdvertisedPublicURLsHost_isNamedByANewServerCertificate() async throws {
        let aggregator = try await TestAggregator.start(advertisedPublicURL: "https://replica-1.example:8443")
        addTeardownBlock { try await aggregator.stop() }
        let pem = try String(
            contentsOf: aggregator.folder.appendingPathComponent("pki/server.crt"), encoding: .utf8)
        let names = try XCTUnwrap(try Certificate(pemEncoded: pem).extensions.subjectAlternativeNames)
        XCTAssertTrue(names.contains(.dnsName("replica-1.example")), "\(names)")
        XCTAssertTrue(names.contains(.dnsName("localhost")), "\(names)")
    }
}
