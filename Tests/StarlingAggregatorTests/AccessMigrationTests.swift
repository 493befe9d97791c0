import Foundation
import GRDB
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// A data folder from before roles (schema v7) upgrades in place: its admin token keeps working
/// as an admin token that does not expire, and its enrollment tokens and devices get ids and
/// revocation columns without losing anything.
final class AccessMigrationTests: XCTestCase {
    func test_aV7DataFolder_keepsItsAdminToken_andItsEnrollmentTokensGetIds() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-v7-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let then = Date(timeIntervalSince1970: 1_700_000_000)
        let secret = "stk_from-before-roles"
        try (secret + "\n").write(to: folder.appendingPathComponent("admin.token"), atomically: true, encoding: .utf8)
        let legacy = try DatabasePool(path: folder.appendingPathComponent("starling.sqlite").path)
        try Migrations.migrator.migrate(legacy, upTo: "v7-run-kinds")
        try await legacy.write { db in
            try db.execute(
                sql: "INSERT INTO adminTokens (tokenHash, role, createdAt) VALUES (?, 'admin', ?)",
                arguments: [Secrets.hash(secret: secret), then])
            try db.execute(
                sql: """
                    INSERT INTO enrollmentTokens (tokenHash, expiresAt, usesLeft, tags, createdAt)
                    VALUES ('h1', ?, 3, '[]', ?), ('h2', ?, 1, '[]', ?)
                    """, arguments: [then, then, then, then.addingTimeInterval(1)])
        }
        try legacy.close()

        let aggregator = try await TestAggregator.start(folder: folder, sqlite: true)
        addTeardownBlock { try await aggregator.stop() }
        XCTAssertEqual(aggregator.lines.all.count, 1, "no new admin token: \(aggregator.lines.all)")
        let tokens: AdminTokenList = try await aggregator.admin.get(APIPath.adminTokens)
        XCTAssertEqual(tokens.tokens.count, 1)
        XCTAssertEqual(tokens.tokens.first?.role, .admin)
        XCTAssertNil(tokens.tokens.first?.expiresAt)
        XCTAssertTrue(tokens.tokens.first?.id.hasPrefix("adm-") ?? false)
        let enrollment: EnrollmentTokenList = try await aggregator.admin.get(APIPath.adminEnrollmentTokens)
        XCTAssertEqual(enrollment.tokens.map(\.usesLeft), [3, 1])
        XCTAssertEqual(Set(enrollment.tokens.map(\.id)).count, 2, "each token has its own id")
        XCTAssertTrue(enrollment.tokens.allSatisfy { $0.id.hasPrefix("enr-") && $0.revokedAt == nil })
    }
}
