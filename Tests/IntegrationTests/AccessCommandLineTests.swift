import Foundation
import StarlingAdmin
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

/// Roles, revocation and the audit log from the `starling` command line: admin tokens with roles
/// and lifetimes, enrollment tokens listed and revoked, the audit log, and the rotation procedure
/// of the README.
final class AccessCommandLineTests: XCTestCase {
    func test_tokensWithRoles_theAuditLog_andBadInput_fromTheCommandLine() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]

        let created = try await runStarling(
            ["token", "create-admin", "--role", "operator", "--ttl", "30d"], environment: admin)
        XCTAssertEqual(created.status, 0, created.stderr)
        let secret = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(secret.hasPrefix("stk_"), created.stdout)
        XCTAssertEqual(created.stdout.split(separator: "\n").count, 1, "stdout holds the secret alone")
        XCTAssertTrue(created.stderr.contains("role operator"), created.stderr)

        let listed = try await runStarling(["token", "list"], environment: admin)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertFalse(listed.stdout.contains(secret), "the listing shows no secret")
        XCTAssertTrue(listed.stdout.hasPrefix("ID"), listed.stdout)
        XCTAssertEqual(listed.stdout.split(separator: "\n").count, 3, listed.stdout)
        let tokens = try StarlingJSON.decoder().decode(
            AdminTokenList.self,
            from: Data(try await runStarling(["token", "list", "--json"], environment: admin).stdout.utf8))
        let operatorToken = try XCTUnwrap(tokens.tokens.first { $0.role == .operator })

        let asOperator = admin.merging(["STARLING_TOKEN": secret]) { _, new in new }
        let devices = try await runStarling(["devices", "list"], environment: asOperator)
        XCTAssertEqual(devices.status, 0, devices.stderr)
        for arguments in [["token", "list"], ["audit"], ["enroll-token", "revoke", "enr-000000000000"]] {
            let refused = try await runStarling(arguments, environment: asOperator)
            XCTAssertEqual(refused.status, 5, "\(arguments): \(refused.stderr)")
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("insufficient_role"), refused.stderr)
        }

        let audit = try await runStarling(["audit", "--since", "1h"], environment: admin)
        XCTAssertEqual(audit.status, 0, audit.stderr)
        XCTAssertTrue(audit.stdout.contains("POST /v1/admin/tokens"), audit.stdout)
        XCTAssertTrue(audit.stdout.contains("403 insufficient_role"), audit.stdout)
        XCTAssertTrue(audit.stdout.contains(operatorToken.id), audit.stdout)
        let latest = try await runStarling(["audit", "--limit", "1", "--json"], environment: admin)
        let events = try StarlingJSON.decoder().decode(AuditEventList.self, from: Data(latest.stdout.utf8)).events
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.first?.route, "/v1/admin/enrollment-tokens/:id/revoke")

        for arguments in [
            ["token", "create-admin", "--role", "root"], ["token", "create-admin", "--role", "viewer", "--ttl", "0s"],
            ["token", "create-admin", "--role", "viewer", "--ttl", "400d"], ["audit", "--since", "yesterday"],
            ["audit", "--limit", "0"],
        ] {
            let bad = try await runStarling(arguments, environment: admin)
            XCTAssertEqual(bad.status, 2, "\(arguments): \(bad.stderr)")
        }
        let unknown = try await runStarling(["token", "revoke", "adm-000000000000"], environment: admin)
        XCTAssertEqual(unknown.status, 5)
        XCTAssertTrue(unknown.stderr.contains("token_not_found"), unknown.stderr)

        let revoked = try await runStarling(["token", "revoke", operatorToken.id], environment: admin)
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        let afterRevocation = try await runStarling(["devices", "list"], environment: asOperator)
        XCTAssertEqual(afterRevocation.status, 5)
        XCTAssertTrue(afterRevocation.stderr.contains("token_revoked"), afterRevocation.stderr)
    }

    func test_enrollmentTokens_areListedAndRevoked_fromTheCommandLine() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        let created = try await runStarling(["enroll-token", "create", "--uses", "3", "--json"], environment: admin)
        XCTAssertEqual(created.status, 0, created.stderr)
        let token = try StarlingJSON.decoder().decode(EnrollmentTokenInfo.self, from: Data(created.stdout.utf8))
        let listed = try await runStarling(["enroll-token", "list"], environment: admin)
        XCTAssertTrue(listed.stdout.contains(token.id), listed.stdout)
        XCTAssertFalse(listed.stdout.contains(token.token), listed.stdout)

        let revoked = try await runStarling(["enroll-token", "revoke", token.id], environment: admin)
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        let client = try aggregator.publicClient()
        await assertAPIError(status: 401, code: "enrollment_token_revoked") {
            let _: EnrollmentResponse = try await client.post(
                APIPath.enroll,
                json: EnrollmentRequest(token: token.token, csrPem: try DeviceKey.generate().makeCSRPEM(), tags: []))
        }
        let unknown = try await runStarling(["enroll-token", "revoke", "enr-000000000000"], environment: admin)
        XCTAssertEqual(unknown.status, 5)
        XCTAssertTrue(unknown.stderr.contains("enrollment_token_not_found"), unknown.stderr)
    }

    /// The README's rotation: create a new admin token, switch to it, revoke the old one, with the
    /// aggregator running throughout; then admin.token is deleted and a restart makes no new one.
    func test_rotatingTheAdminToken_needsNoRestart_andDeletingAdminTokenLeavesNoWayIn() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let folder = aggregator.fleet.aggregatorDirectory
        let local = ["STARLING_AGGREGATOR_DIR": folder.path]

        let created = try await runStarling(["token", "create-admin", "--role", "admin", "--json"], environment: local)
        XCTAssertEqual(created.status, 0, created.stderr)
        let replacement = try StarlingJSON.decoder().decode(CreatedAdminToken.self, from: Data(created.stdout.utf8))
        let switched = local.merging(["STARLING_TOKEN": replacement.token]) { _, new in new }
        let tokens = try StarlingJSON.decoder().decode(
            AdminTokenList.self,
            from: Data(try await runStarling(["token", "list", "--json"], environment: switched).stdout.utf8))
        let original = try XCTUnwrap(tokens.tokens.first { $0.expiresAt == nil })
        let revoked = try await runStarling(["token", "revoke", original.id], environment: switched)
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        let old = try await runStarling(["devices", "list"], environment: local)
        XCTAssertEqual(old.status, 5)
        XCTAssertTrue(old.stderr.contains("token_revoked"), old.stderr)
        XCTAssertTrue(aggregator.running.process.isRunning)

        await aggregator.stop()
        try FileManager.default.removeItem(at: folder.appendingPathComponent("admin.token"))
        let restarted = try await aggregator.restart(for: self)
        let log = try String(contentsOf: restarted.running.process.logFile, encoding: .utf8)
        XCTAssertFalse(log.contains("admin token:"), log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("admin.token").path))
        let withoutToken = try await runStarling(["devices", "list"], environment: local)
        XCTAssertEqual(withoutToken.status, 3, withoutToken.stderr)
        let withReplacement = try await runStarling(["devices", "list"], environment: switched)
        XCTAssertEqual(withReplacement.status, 0, withReplacement.stderr)
    }
}
