import Foundation
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

/// Who may call what: mutual TLS on the device listener, bearer tokens on the admin API.
final class AccessTests: XCTestCase {
    func test_deviceListener_withoutClientCertificate_failsTheHandshake() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let anonymous = aggregator.client(
            baseURL: aggregator.endpoints.deviceUrl,
            tls: try TLSConfigurations.client(trusting: aggregator.caPEM, identity: nil))

        do {
            let _: DesiredState = try await anonymous.post(
                APIPath.deviceWatch, json: WatchRequest(revision: "", sampleCount: 0, runningModel: nil, waitSeconds: 0)
            )
            XCTFail("a device call without a client certificate was answered")
        } catch {
            guard case .transport = error else { return XCTFail("expected a TLS failure, got \(error)") }
        }
        let device = try await aggregator.enrollDevice()
        let state = try await device.watch()
        XCTAssertTrue(state.rounds.isEmpty)
    }

    func test_adminAPI_withWrongToken_answers401() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let intruder = try aggregator.publicClient(token: "stk_not-the-token")

        await assertAPIError(status: 401, code: "unauthorized") {
            try await intruder.get(APIPath.adminDevices, as: DeviceList.self)
        }
        let health: [String: String] = try await intruder.get(APIPath.healthz)
        XCTAssertEqual(health["status"], "ok")
    }

    func test_enrollment_withUnknownToken_answers401() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let client = try aggregator.publicClient()

        await assertAPIError(status: 401, code: "invalid_enrollment_token") {
            let _: EnrollmentResponse = try await client.post(
                APIPath.enroll,
                json: EnrollmentRequest(token: "enr_guess", csrPem: try DeviceKey.generate().makeCSRPEM(), tags: []))
        }
    }
}
