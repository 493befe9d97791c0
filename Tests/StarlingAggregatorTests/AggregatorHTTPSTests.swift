import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// The aggregator over real HTTPS on loopback: access control, enrollment, update validation.
final class AggregatorHTTPSTests: XCTestCase {
    func test_firstRun_announcesTokenAndEndpoints_andHealthzAnswers() async throws {
        let aggregator = try await TestAggregator.start()
        let lines = aggregator.lines.all
        XCTAssertEqual(lines.count, 2, "\(lines)")
        XCTAssertTrue(lines[0].hasPrefix("admin token: stk_"), lines[0])
        XCTAssertEqual(
            lines[1],
            "starling-aggregator listening on \(aggregator.endpoints.url) (devices: \(aggregator.endpoints.deviceUrl))")
        let health: [String: String] = try await aggregator.admin.get(APIPath.healthz)
        XCTAssertEqual(health, ["status": "ok"])
        for file in ["pki/ca.key", "pki/server.key", "pki/signing.key", "admin.token"] {
            let attributes = try FileManager.default.attributesOfItem(
                atPath: aggregator.folder.appendingPathComponent(file).path)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, file)
        }
        try await aggregator.stop()
    }

    func test_adminAPI_withWrongToken_answers401Unauthorized() async throws {
        let aggregator = try await TestAggregator.start()
        let intruder = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM, token: "stk_wrong")
        await assertAPIError(status: 401, code: "unauthorized") {
            try await intruder.get(APIPath.adminDevices, as: DeviceList.self)
        }
        await intruder.shutdown()
        try await aggregator.stop()
    }

    func test_enrollment_withCSR_issuesCertificateNamingTheDevice_andUnknownTokenIs401() async throws {
        let aggregator = try await TestAggregator.start()
        let device = try await aggregator.enroll(tags: [Tag(key: "zone", value: "lab")])
        XCTAssertTrue(device.id.hasPrefix("dev-"))
        XCTAssertEqual(device.id.count, 16)
        let devices: DeviceList = try await aggregator.admin.get(APIPath.adminDevices)
        XCTAssertEqual(devices.devices.map(\.id), [device.id])
        XCTAssertEqual(devices.devices.first?.tags, [Tag(key: "zone", value: "lab")])

        let anonymous = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM)
        await assertAPIError(status: 401, code: "invalid_enrollment_token") {
            let _: EnrollmentResponse = try await anonymous.post(
                APIPath.enroll,
                json: EnrollmentRequest(token: "enr_guess", csrPem: try DeviceKey.generate().makeCSRPEM(), tags: []))
        }
        let token: EnrollmentTokenInfo = try await aggregator.admin.post(
            APIPath.adminEnrollmentTokens, json: CreateEnrollmentTokenRequest())
        await assertAPIError(status: 400, code: "invalid_csr") {
            let _: EnrollmentResponse = try await anonymous.post(
                APIPath.enroll, json: EnrollmentRequest(token: token.token, csrPem: "not a csr", tags: []))
        }
        await anonymous.shutdown()
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_deviceListener_withoutClientCertificate_failsTheHandshake_butEnrolledCertificateWorks() async throws {
        let aggregator = try await TestAggregator.start()
        let anonymous = try TestAggregator.client(aggregator.endpoints.deviceUrl, caPEM: aggregator.caPEM)
        do {
            let _: DesiredState = try await anonymous.post(
                APIPath.deviceWatch, json: WatchRequest(revision: "", sampleCount: 0, runningModel: nil, waitSeconds: 0)
            )
            XCTFail("a device call without a client certificate was answered")
        } catch {
            guard case .transport = error else { return XCTFail("expected a TLS failure, got \(error)") }
        }
        let device = try await aggregator.enroll()
        let state = try await device.watch(sampleCount: 12)
        XCTAssertTrue(state.rounds.isEmpty)
        XCTAssertNil(state.model)
        let devices: DeviceList = try await aggregator.admin.get(APIPath.adminDevices)
        XCTAssertEqual(devices.devices.first?.sampleCount, 12)
        XCTAssertEqual(devices.devices.first?.online, true)
        await anonymous.shutdown()
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_badUpdates_areRefusedWithTheirCodes_andTheRoundStillCompletes() async throws {
        let aggregator = try await TestAggregator.start()
        let (round, member, task) = try await aggregator.startPlainRound(of: "v")
        XCTAssertEqual(task.runId, round.id)
        let outsider = try await aggregator.enroll()
        let path = APIPath.deviceUpdate(runId: task.runId, round: task.round)
        let architecture = try ModelArchitecture(parsing: "4-3-2")

        await assertAPIError(status: 403, code: "not_in_cohort") {
            try await outsider.client.post(
                path, bytes: UpdateBody.make(architecture, value: 0.1), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 404, code: "round_not_found") {
            try await member.client.post(
                APIPath.deviceUpdate(runId: "rnd-nope", round: 1),
                bytes: UpdateBody.make(architecture, value: 0.1),
                as: UpdateReceipt.self)
        }
        await assertAPIError(status: 400, code: "update_shape_mismatch") {
            try await member.client.post(
                path, bytes: UpdateBody.make(try ModelArchitecture(parsing: "4-4-2"), value: 0.1),
                as: UpdateReceipt.self)
        }
        await assertAPIError(status: 400, code: "update_not_finite") {
            try await member.client.post(
                path, bytes: UpdateBody.make(architecture, value: .nan), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 400, code: "invalid_update") {
            try await member.client.post(
                path, bytes: UpdateBody.make(architecture, value: 0.1, trainSamples: 0), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 413, code: "body_too_large") {
            try await member.client.post(
                path, bytes: [UInt8](repeating: 0, count: BodyLimit.modelArtifact + 1), as: UpdateReceipt.self)
        }
        let receipt: UpdateReceipt = try await member.client.post(
            path, bytes: UpdateBody.make(architecture, value: 0.1))
        XCTAssertTrue(receipt.accepted)
        await assertAPIError(status: 409, code: "round_closed") {
            try await member.client.post(path, bytes: UpdateBody.make(architecture, value: 0.1), as: UpdateReceipt.self)
        }
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")

        await member.client.shutdown()
        await outsider.client.shutdown()
        try await aggregator.stop()
    }
}

/// Polls the admin API until a run ends (the coordinator ticks every 20 ms in tests).
func waitForEnd(of roundID: String, _ aggregator: TestAggregator) async throws -> RunInfo {
    let admin = aggregator.admin
    return try await Wait.until("round \(roundID) to end", timeout: .seconds(30), interval: .milliseconds(20)) {
        guard let info: RunInfo = try? await admin.get(APIPath.adminRun(id: roundID)), info.state.isFinal else {
            return nil
        }
        return info
    }
}
