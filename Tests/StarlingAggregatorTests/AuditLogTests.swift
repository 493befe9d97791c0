import Foundation
import StarlingProtocol
import StarlingStorage
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Every state-changing admin call is in the audit log, refused ones included, with the token, its
/// role, the route template, the ids it named or made and its outcome; reads are not; only admins
/// read the log; and the table refuses any change to a recorded row.
final class AuditLogTests: XCTestCase {
    private func audit(_ client: StarlingHTTPClient, query: String = "") async throws -> [AuditEvent] {
        let log: AuditEventList = try await client.get(APIPath.adminAudit + query)
        return log.events
    }

    func test_stateChangingCalls_areRecordedWithCallerRouteTargetsAndOutcome_andReadsAreNot() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let callers = try await AdminCallers.make(on: aggregator, for: self)
        let operatorClient = try callers.client(.operator)
        let operatorID = try XCTUnwrap(callers.tokens[.operator]).info.id

        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: "4-2", seed: 1))
        let deployment: DeploymentInfo = try await operatorClient.post(
            APIPath.adminDeployments, json: CreateDeploymentRequest(model: "m", version: 1, selector: .all))
        await assertAPIError(status: 409, code: "deployment_state") {
            try await operatorClient.post(
                APIPath.adminDeployment(id: deployment.id, action: "resume"), json: [String: String](),
                as: DeploymentInfo.self)
        }
        await assertAPIError(status: 403, code: "insufficient_role") {
            try await operatorClient.post(
                APIPath.adminModels, json: CreateModelRequest(name: "n", architecture: "4-2"), as: ModelVersionInfo.self
            )
        }
        let _: DeviceList = try await operatorClient.get(APIPath.adminDevices)
        await assertAPIError(status: 403, code: "insufficient_role") {
            try await self.audit(operatorClient)
        }
        await assertAPIError(status: 403, code: "insufficient_role") {
            try await self.audit(try callers.client(.viewer))
        }

        let events = try await audit(aggregator.admin)
        XCTAssertFalse(events.contains { $0.method == "GET" }, "reads are not audited")
        XCTAssertEqual(events.map(\.id), events.map(\.id).sorted(by: >), "newest first")
        let byOperator = events.filter { $0.tokenId == operatorID }
        XCTAssertEqual(byOperator.count, 3, "\(byOperator)")
        let refusedModel = try XCTUnwrap(byOperator.first)
        XCTAssertEqual(refusedModel.route, "/v1/admin/models")
        XCTAssertEqual(refusedModel.status, 403)
        XCTAssertEqual(refusedModel.code, "insufficient_role")
        XCTAssertEqual(refusedModel.role, .operator)
        let steer = byOperator[1]
        XCTAssertEqual(steer.method, "POST")
        XCTAssertEqual(steer.route, "/v1/admin/deployments/:id/:action")
        XCTAssertEqual(steer.targets, ["id": deployment.id, "action": "resume"])
        XCTAssertEqual(steer.status, 409)
        XCTAssertEqual(steer.code, "deployment_state")
        XCTAssertEqual(byOperator[2].targets, ["deployment": deployment.id])
        XCTAssertEqual(byOperator[2].status, 201)
        XCTAssertNil(byOperator[2].code)
        let tokenCreations = events.filter { $0.route == "/v1/admin/tokens" }
        XCTAssertEqual(
            Set(tokenCreations.compactMap { $0.targets["token"] }), Set(callers.tokens.values.map(\.info.id)),
            "each token creation names the token it made")

        let latest = try await audit(aggregator.admin, query: "?limit=1")
        XCTAssertEqual(latest, [events[0]])
        let future = Date().addingTimeInterval(3600).ISO8601Format()
        let none = try await audit(aggregator.admin, query: "?since=\(future)")
        XCTAssertTrue(none.isEmpty)
        await assertAPIError(status: 400, code: "invalid_since") {
            try await self.audit(aggregator.admin, query: "?since=yesterday")
        }
        for limit in ["0", "10001", "ten"] {
            await assertAPIError(status: 400, code: "invalid_limit") {
                try await self.audit(aggregator.admin, query: "?limit=\(limit)")
            }
        }
    }

    func test_theAuditTable_refusesUpdatesAndDeletes() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let _: EnrollmentTokenInfo = try await aggregator.admin.post(
            APIPath.adminEnrollmentTokens, json: CreateEnrollmentTokenRequest())
        let database = try aggregator.openStorage().engine
        let count = { @Sendable (db: any SQLConnection) in try db.integer("SELECT COUNT(*) FROM auditEvents") }
        let before = try await database.read(count)
        XCTAssertEqual(before, 1)
        for statement in ["UPDATE auditEvents SET status = 200", "DELETE FROM auditEvents"] {
            do {
                try await database.write { db in try db.execute(SQLStatement(statement)) }
                XCTFail("\(statement) changed the audit log")
            } catch {
                XCTAssertTrue("\(error)".contains("the audit log is append-only"), "\(error)")
            }
        }
        let after = try await database.read(count)
        XCTAssertEqual(after, 1)
        try await database.close()
    }
}
