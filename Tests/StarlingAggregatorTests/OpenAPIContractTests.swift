import Foundation
import Logging
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import Synchronization
import XCTest

@testable import StarlingAggregator

/// docs/openapi.yaml against the aggregator: the routes each listener's router answers are exactly the
/// document's, each admin operation carries its ``AdminEndpoint``'s least role, the public listener
/// serves the document, and refusals are `Error` bodies.
final class OpenAPIContractTests: XCTestCase {
    private func contract() throws -> OpenAPIContract { try OpenAPIContract.repository.get() }

    func test_routesOfEveryListener_areExactlyTheDocumentsOperations() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("starling-openapi-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let aggregator = try Aggregator(
            configuration: AggregatorConfiguration(
                dataDirectory: folder, listen: ListenAddress(host: "127.0.0.1", port: 0),
                metricsListen: ListenAddress(host: "127.0.0.1", port: 0)),
            logger: Logger(label: "openapi-test"), announce: { _ in })
        let contract = try contract()
        let tagsOf: [AggregatorMetrics.Listener: Set<String>] = [
            .public: ["public", "admin"], .device: ["device"], .metrics: ["metrics"],
        ]
        for (listener, tags) in tagsOf {
            let code = aggregator.routes[listener] ?? []
            let documented = Set(contract.operations(tagged: tags).map(\.description))
            XCTAssertFalse(code.isEmpty, "the \(listener) listener has no routes")
            XCTAssertEqual(
                code.subtracting(documented).sorted(), [], "\(listener) routes missing from docs/openapi.yaml")
            XCTAssertEqual(
                documented.subtracting(code).sorted(), [], "\(listener) operations in docs/openapi.yaml no router has")
        }
    }

    func test_adminOperations_carryTheirEndpointsNameAndLeastRole() throws {
        let contract = try contract()
        for endpoint in AdminEndpoint.allCases {
            let template = endpoint.template.split(separator: "/").map {
                $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
            }
            let path = "/" + template.joined(separator: "/")
            let operation = try XCTUnwrap(
                contract.operation(endpoint.route.method.rawValue, path), "\(endpoint) is not in the document")
            XCTAssertEqual(operation["operationId"]?.string, "\(endpoint)")
            XCTAssertEqual(operation["x-starling-role"]?.string, endpoint.route.role.rawValue, "\(endpoint)")
            XCTAssertEqual(operation["security"], .array([.object(["adminBearer": .array([])])]), "\(endpoint)")
        }
    }

    func test_errorCodes_areExactlyTheDocumentsErrorCodeEnum() throws {
        let documented = try XCTUnwrap(
            try contract().document["components"]?["schemas"]?["ErrorCode"]?["enum"]?.array?.compactMap(\.string))
        XCTAssertEqual(Set(documented), Set(APIErrorCode.allCases.map(\.rawValue)))
        XCTAssertEqual(documented.count, APIErrorCode.allCases.count, "each code once")
    }

    func test_openAPIJSON_isServedWithoutAuthentication_asTheDocsFile() async throws {
        let aggregator = try await TestAggregator.start()
        let anonymous = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM)
        let served = try await anonymous.getBytes(APIPath.openAPI)
        await anonymous.shutdown()
        try await aggregator.stop()
        XCTAssertEqual(try JSONValue.parse(served), try contract().document)
        XCTAssertEqual(try JSONValue.parse(Array(OpenAPIDocument.json.utf8)), try contract().document)
    }

    func test_refusals_areErrorBodiesWithDocumentedCodes() async throws {
        let aggregator = try await TestAggregator.start()
        let exchanges = Mutex<[StarlingHTTPExchange]>([])
        let recording = { (token: String?) throws -> StarlingHTTPClient in
            StarlingHTTPClient(
                baseURL: aggregator.endpoints.url,
                tls: try TLSConfigurations.client(trusting: aggregator.caPEM, identity: nil),
                bearerToken: token, observer: { exchange in exchanges.withLock { $0.append(exchange) } })
        }
        let anonymous = try recording(nil)
        let viewerToken: CreatedAdminToken = try await aggregator.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: AdminRole.viewer.rawValue))
        let viewer = try recording(viewerToken.token)
        let admin = try recording(aggregator.adminToken)
        await assertAPIError(status: 401, code: "unauthorized") { try await anonymous.getBytes(APIPath.adminModels) }
        await assertAPIError(status: 403, code: "insufficient_role") {
            try await viewer.post(APIPath.adminRuns, json: [String: String](), as: RunInfo.self)
        }
        await assertAPIError(status: 404, code: "model_not_found") {
            try await admin.getBytes(APIPath.adminVersions(model: "absent"))
        }
        await assertAPIError(status: 400, code: "invalid_request") {
            try await admin.post(
                APIPath.adminModels, bytes: Array("{".utf8), contentType: "application/json",
                as: ModelVersionInfo.self)
        }
        await assertAPIError(status: 404, code: "not_found") { try await anonymous.getBytes("/v1/nowhere") }
        await assertAPIError(status: 401, code: "invalid_enrollment_token") {
            try await anonymous.post(
                APIPath.enroll, json: EnrollmentRequest(token: "nope", csrPem: "", tags: []),
                as: EnrollmentResponse.self)
        }
        for client in [anonymous, viewer, admin] { await client.shutdown() }
        try await aggregator.stop()

        let contract = try contract()
        let errorSchema = JSONValue.object(["$ref": .string("#/components/schemas/Error")])
        let validator = JSONSchemaValidator(root: contract.document)
        let answers = exchanges.withLock { $0 }
        XCTAssertEqual(answers.count, 6)
        for exchange in answers {
            XCTAssertGreaterThanOrEqual(exchange.status, 400)
            XCTAssertEqual(contract.violations(of: exchange), [])
            XCTAssertEqual(validator.violations(of: errorSchema, by: try JSONValue.parse(exchange.body)), [])
        }
    }

    func test_validator_reportsWhatBreaksASchema() throws {
        let validator = JSONSchemaValidator(root: try contract().document)
        let error = JSONValue.object(["$ref": .string("#/components/schemas/Error")])
        let good = try JSONValue.parse(Array(#"{"error":{"code":"not_found","message":"no"}}"#.utf8))
        XCTAssertEqual(validator.violations(of: error, by: good), [])
        for bad in [
            #"{"error":{"code":"not_found"}}"#, #"{"error":{"code":"made_up","message":"no"}}"#,
            #"{"error":{"code":"not_found","message":1}}"#, #"{"error":{"code":"not_found","message":"no"},"x":1}"#,
            #"[]"#,
        ] {
            XCTAssertNotEqual(validator.violations(of: error, by: try JSONValue.parse(Array(bad.utf8))), [], bad)
        }
        let list = JSONValue.object(["$ref": .string("#/components/schemas/AdminTokenList")])
        let wrongItem = try JSONValue.parse(Array(#"{"tokens":[{"id":"a","role":"root","created_at":"t"}]}"#.utf8))
        XCTAssertEqual(validator.violations(of: list, by: wrongItem).count, 1)
    }
}
