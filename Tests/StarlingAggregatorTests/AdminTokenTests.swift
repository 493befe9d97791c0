import Foundation
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Admin tokens: made with a role and a bounded lifetime, listed without secrets, refused at once
/// when revoked or expired (with distinct codes), and never re-created behind the operator's back.
final class AdminTokenTests: XCTestCase {
    private func start(folder: URL? = nil) async throws -> TestAggregator {
        try await TestAggregator.start(folder: folder)
    }

    /// A client of the public listener with `token`, closed when the test ends.
    private func client(_ aggregator: TestAggregator, token: String?) throws -> StarlingHTTPClient {
        let client = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM, token: token)
        addTeardownBlock { await client.shutdown() }
        return client
    }

    func test_createdToken_isShownOnce_listedWithoutItsSecret_andRecordsItsLastUse() async throws {
        let aggregator = try await start()
        addTeardownBlock { try await aggregator.stop() }
        let created: CreatedAdminToken = try await aggregator.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: "operator", ttlSeconds: 3600))
        XCTAssertTrue(created.token.hasPrefix("stk_"))
        XCTAssertTrue(created.info.id.hasPrefix("adm-"))
        XCTAssertEqual(created.info.role, .operator)
        XCTAssertEqual(
            try XCTUnwrap(created.info.expiresAt).timeIntervalSince(created.info.createdAt), 3600, accuracy: 1)
        XCTAssertNil(created.info.lastUsedAt)

        let operatorClient = try client(aggregator, token: created.token)
        let _: DeviceList = try await operatorClient.get(APIPath.adminDevices)
        let listing = try await aggregator.admin.getBytes(APIPath.adminTokens)
        XCTAssertFalse(
            String(decoding: listing, as: UTF8.self).contains(created.token), "a listing never shows a secret")
        let tokens = try StarlingJSON.decoder().decode(AdminTokenList.self, from: Data(listing)).tokens
        XCTAssertEqual(tokens.map(\.role), [.admin, .operator])
        XCTAssertNil(tokens[0].expiresAt, "the first admin token does not expire")
        XCTAssertNotNil(tokens[1].lastUsedAt)
        XCTAssertNil(tokens[1].revokedAt)
    }

    func test_badRolesTTLsAndUnknownIds_areRefusedWithACodeAndASentence() async throws {
        let aggregator = try await start()
        addTeardownBlock { try await aggregator.stop() }
        await assertAPIError(status: 400, code: "invalid_role") {
            try await aggregator.admin.post(
                APIPath.adminTokens, json: CreateAdminTokenRequest(role: "root"), as: CreatedAdminToken.self)
        }
        for ttl in [0, -5, AdminTokenLifetime.maximumSeconds + 1] {
            await assertAPIError(status: 400, code: "invalid_ttl") {
                try await aggregator.admin.post(
                    APIPath.adminTokens, json: CreateAdminTokenRequest(role: "viewer", ttlSeconds: ttl),
                    as: CreatedAdminToken.self)
            }
        }
        await assertAPIError(status: 400, code: "invalid_request") {
            try await aggregator.admin.post(APIPath.adminTokens, json: ["ttl_seconds": 60], as: CreatedAdminToken.self)
        }
        await assertAPIError(status: 404, code: "token_not_found") {
            try await aggregator.admin.post(
                APIPath.adminTokenRevocation(id: "adm-000000000000"), json: [String: String](), as: AdminTokenInfo.self)
        }
        do {
            let _: CreatedAdminToken = try await aggregator.admin.post(
                APIPath.adminTokens, json: CreateAdminTokenRequest(role: "root"))
            XCTFail("a token of role root was made")
        } catch {
            XCTAssertEqual(error.description, "'root' is not a role; a token's role is viewer, operator or admin")
        }
    }

    func test_missingUnknownRevokedAndExpiredTokens_get401WithTheirOwnCodes() async throws {
        let aggregator = try await start()
        addTeardownBlock { try await aggregator.stop() }
        await assertAPIError(status: 401, code: "unauthorized") {
            try await self.client(aggregator, token: nil).get(APIPath.adminDevices, as: DeviceList.self)
        }
        await assertAPIError(status: 401, code: "unauthorized") {
            try await self.client(aggregator, token: "stk_unknown").get(APIPath.adminDevices, as: DeviceList.self)
        }

        let revoked: CreatedAdminToken = try await aggregator.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: "viewer"))
        let revokedClient = try client(aggregator, token: revoked.token)
        let _: DeviceList = try await revokedClient.get(APIPath.adminDevices)
        let info: AdminTokenInfo = try await aggregator.admin.post(
            APIPath.adminTokenRevocation(id: revoked.info.id), json: [String: String]())
        XCTAssertNotNil(info.revokedAt)
        await assertAPIError(status: 401, code: "token_revoked") {
            try await revokedClient.get(APIPath.adminDevices, as: DeviceList.self)
        }
        let again: AdminTokenInfo = try await aggregator.admin.post(
            APIPath.adminTokenRevocation(id: revoked.info.id), json: [String: String]())
        XCTAssertEqual(again.revokedAt, info.revokedAt, "revoking twice keeps the first revocation")

        let shortLived: CreatedAdminToken = try await aggregator.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: "viewer", ttlSeconds: 1))
        let shortClient = try client(aggregator, token: shortLived.token)
        let answer = try await Wait.until("the token to expire", timeout: .seconds(10), interval: .milliseconds(100)) {
            do {
                let _: DeviceList = try await shortClient.get(APIPath.adminDevices)
                return nil as StarlingHTTPError?
            } catch {
                return error as? StarlingHTTPError
            }
        }
        XCTAssertEqual(answer.status, 401)
        XCTAssertEqual(answer.code, "token_expired")
    }

    func test_revocation_survivesARestart() async throws {
        let first = try await start()
        let created: CreatedAdminToken = try await first.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: "admin"))
        let _: AdminTokenInfo = try await first.admin.post(
            APIPath.adminTokenRevocation(id: created.info.id), json: [String: String]())
        try await first.stop(removingFolder: false)

        let second = try await start(folder: first.folder)
        addTeardownBlock { try await second.stop() }
        await assertAPIError(status: 401, code: "token_revoked") {
            try await self.client(second, token: created.token).get(APIPath.adminDevices, as: DeviceList.self)
        }
        let _: DeviceList = try await second.admin.get(APIPath.adminDevices)
    }

    /// The rotation procedure of the README: a new admin token, clients switched to it, the old one
    /// revoked, with no restart; then deleting admin.token and restarting opens no way in.
    func test_rotation_withoutRestart_thenDeletingAdminTokenFile_leavesNoWayIn() async throws {
        let first = try await start()
        let tokens: AdminTokenList = try await first.admin.get(APIPath.adminTokens)
        let original = try XCTUnwrap(tokens.tokens.first)
        await assertAPIError(status: 409, code: "last_admin_token") {
            try await first.admin.post(
                APIPath.adminTokenRevocation(id: original.id), json: [String: String](), as: AdminTokenInfo.self)
        }

        let replacement: CreatedAdminToken = try await first.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: "admin", ttlSeconds: 30 * 86_400))
        let switched = try client(first, token: replacement.token)
        let _: AdminTokenInfo = try await switched.post(
            APIPath.adminTokenRevocation(id: original.id), json: [String: String]())
        await assertAPIError(status: 401, code: "token_revoked") {
            try await first.admin.get(APIPath.adminDevices, as: DeviceList.self)
        }
        await assertAPIError(status: 409, code: "last_admin_token") {
            try await switched.post(
                APIPath.adminTokenRevocation(id: replacement.info.id), json: [String: String](), as: AdminTokenInfo.self
            )
        }
        let oldSecret = try String(contentsOf: first.folder.appendingPathComponent("admin.token"), encoding: .utf8)
        try await first.stop(removingFolder: false)
        try FileManager.default.removeItem(at: first.folder.appendingPathComponent("admin.token"))

        let second = try await start(folder: first.folder)
        addTeardownBlock { try await second.stop() }
        XCTAssertEqual(second.lines.all.count, 1, "no admin token is announced: \(second.lines.all)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: first.folder.appendingPathComponent("admin.token").path))
        await assertAPIError(status: 401, code: "token_revoked") {
            try await self.client(second, token: oldSecret.trimmingCharacters(in: .whitespacesAndNewlines))
                .get(APIPath.adminDevices, as: DeviceList.self)
        }
        let after: AdminTokenList = try await client(second, token: replacement.token).get(APIPath.adminTokens)
        XCTAssertEqual(after.tokens.count, 2, "the restart made no token")
    }

}
