import Foundation
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Enrollment tokens are listed without their secrets and, once revoked, enroll nobody.
final class EnrollmentTokenTests: XCTestCase {
    private func enroll(_ aggregator: TestAggregator, with token: String) async throws -> EnrollmentResponse {
        let anonymous = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM)
        defer { Task { await anonymous.shutdown() } }
        return try await anonymous.post(
            APIPath.enroll,
            json: EnrollmentRequest(token: token, csrPem: try DeviceKey.generate().makeCSRPEM(), tags: []))
    }

    func test_aRevokedToken_enrollsNobody_andTheListingShowsItWithoutItsSecret() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let token: EnrollmentTokenInfo = try await aggregator.admin.post(
            APIPath.adminEnrollmentTokens,
            json: CreateEnrollmentTokenRequest(maxUses: 5, tags: [Tag(key: "site", value: "north")]))
        XCTAssertTrue(token.id.hasPrefix("enr-"))
        _ = try await enroll(aggregator, with: token.token)

        let revoked: EnrollmentTokenSummary = try await aggregator.admin.post(
            APIPath.adminEnrollmentTokenRevocation(id: token.id), json: [String: String]())
        XCTAssertNotNil(revoked.revokedAt)
        XCTAssertEqual(revoked.usesLeft, 4)
        await assertAPIError(status: 401, code: "enrollment_token_revoked") {
            try await self.enroll(aggregator, with: token.token)
        }

        let listing = try await aggregator.admin.getBytes(APIPath.adminEnrollmentTokens)
        XCTAssertFalse(String(decoding: listing, as: UTF8.self).contains(token.token))
        let tokens = try StarlingJSON.decoder().decode(EnrollmentTokenList.self, from: Data(listing)).tokens
        XCTAssertEqual(tokens, [revoked])
        XCTAssertEqual(tokens.first?.tags, [Tag(key: "site", value: "north")])
    }

    func test_revokingAnUnknownToken_is404() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        await assertAPIError(status: 404, code: "enrollment_token_not_found") {
            try await aggregator.admin.post(
                APIPath.adminEnrollmentTokenRevocation(id: "enr-000000000000"), json: [String: String](),
                as: EnrollmentTokenSummary.self)
        }
    }
}
