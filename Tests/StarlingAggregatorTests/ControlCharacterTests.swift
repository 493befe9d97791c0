import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Names and tags with control characters are refused with 400, never stored or looked up: SQLite
/// would read `m\0garbage` as `m`.
final class ControlCharacterTests: XCTestCase {
    /// The message of the API error `call` fails with, after checking its status and code.
    private func refusal<T>(
        status: Int, code: String, line: UInt = #line, _ call: () async throws -> T
    ) async -> String {
        do {
            _ = try await call()
            XCTFail("expected \(status) \(code), but the call succeeded", line: line)
        } catch let error as StarlingHTTPError {
            XCTAssertEqual(error.status, status, "\(error)", line: line)
            XCTAssertEqual(error.code, code, "\(error)", line: line)
            return error.description
        } catch {
            XCTFail("unexpected error \(error)", line: line)
        }
        return ""
    }

    func test_modelNames_withControlCharacters_answer400InvalidModel_andNeverResolveToTheirPrefix() async throws {
        let aggregator = try await TestAggregator.start()
        let admin = aggregator.admin
        let _: ModelVersionInfo = try await admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: "4-3-2", seed: 1))
        let poisoned = "m\u{0}garbage"
        let message = await refusal(status: 400, code: "invalid_model") {
            try await admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: poisoned, architecture: "4-3-2"),
                as: ModelVersionInfo.self)
        }
        XCTAssertTrue(message.contains("U+0000 at character 2"), message)
        XCTAssertFalse(message.contains("\u{0}"), message)
        for name in ["m\u{1B}[31m", "m\u{7F}", "m\n"] {
            _ = await refusal(status: 400, code: "invalid_model") {
                try await admin.post(
                    APIPath.adminModels, json: CreateModelRequest(name: name, architecture: "4-3-2"),
                    as: ModelVersionInfo.self)
            }
        }
        let bundle = try await admin.getBytes(APIPath.adminWeights(model: "m", version: 1))
        _ = await refusal(status: 400, code: "invalid_model") {
            try await admin.post(
                APIPath.adminModelImport + "?name=m%00garbage", bytes: bundle, as: ModelVersionInfo.self)
        }
        _ = await refusal(status: 400, code: "invalid_model") {
            try await admin.put(
                APIPath.adminRefinement, json: RefinementSettings(model: poisoned), as: RefinementSettings.self)
        }
        _ = await refusal(status: 400, code: "invalid_model") {
            try await admin.post(
                APIPath.adminRuns, json: StartRunRequest(model: poisoned, clients: 1, minClients: 1, rounds: 1),
                as: RunInfo.self)
        }
        _ = await refusal(status: 400, code: "invalid_model") {
            try await admin.post(APIPath.adminEvaluations, json: EvaluateRequest(model: poisoned), as: RunInfo.self)
        }
        _ = await refusal(status: 400, code: "invalid_model") {
            try await admin.post(
                APIPath.adminDeployments, json: CreateDeploymentRequest(model: poisoned, version: 1, selector: .all),
                as: DeploymentInfo.self)
        }
        _ = await refusal(status: 400, code: "invalid_model") {
            try await admin.post(
                APIPath.adminProfiles, json: CollectStatisticsRequest(name: "p", featuresFrom: poisoned),
                as: RunInfo.self)
        }
        let models: ModelList = try await admin.get(APIPath.adminModels)
        XCTAssertEqual(models.models.map(\.name), ["m"])
        XCTAssertEqual(models.models.first?.latestVersion, 1)
        try await aggregator.stop()
    }

    func test_aliases_withControlCharacters_answer400InvalidAlias_andNeverResolveToTheirPrefix() async throws {
        let aggregator = try await TestAggregator.start()
        let admin = aggregator.admin
        let _: ModelVersionInfo = try await admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: "4-3-2", seed: 1))
        let _: ModelAlias = try await admin.put(
            APIPath.adminAlias(model: "m", alias: "prod"), json: SetAliasRequest(version: 1))
        let message = await refusal(status: 400, code: "invalid_alias") {
            try await admin.post(
                APIPath.adminDeployments,
                json: CreateDeploymentRequest(model: "m", alias: "prod\u{0}x", selector: .all),
                as: DeploymentInfo.self)
        }
        XCTAssertTrue(message.contains("U+0000 at character 5"), message)
        let aliases: AliasList = try await admin.get(APIPath.adminAliases(model: "m"))
        XCTAssertEqual(aliases.aliases.map(\.alias), ["prod"])
        try await aggregator.stop()
    }

    func test_profileNames_withControlCharacters_answer400InvalidProfile() async throws {
        let aggregator = try await TestAggregator.start()
        let admin = aggregator.admin
        _ = await refusal(status: 400, code: "invalid_profile") {
            try await admin.post(
                APIPath.adminProfiles, json: CollectStatisticsRequest(name: "p\u{0}x", width: 4), as: RunInfo.self)
        }
        _ = await refusal(status: 400, code: "invalid_profile") {
            try await admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: "4-3-2", profile: "p\u{0}x"),
                as: ModelVersionInfo.self)
        }
        let models: ModelList = try await admin.get(APIPath.adminModels)
        XCTAssertEqual(models.models.map(\.name), [])
        try await aggregator.stop()
    }

    func test_deviceTags_withControlCharacters_answer400_atTokensEnrollmentAndSelectors() async throws {
        let aggregator = try await TestAggregator.start()
        let admin = aggregator.admin
        let poisoned = Tag(key: "zone", value: "l\u{0}ab")
        let message = await refusal(status: 400, code: "invalid_request") {
            try await admin.post(
                APIPath.adminEnrollmentTokens, json: CreateEnrollmentTokenRequest(tags: [poisoned]),
                as: EnrollmentTokenInfo.self)
        }
        XCTAssertTrue(message.contains(#"'zone=l\0ab' is not a tag"#), message)
        _ = await refusal(status: 400, code: "invalid_request") {
            try await admin.post(
                APIPath.adminEnrollmentTokens,
                json: CreateEnrollmentTokenRequest(tags: [Tag(key: "zo\u{1B}ne", value: "lab")]),
                as: EnrollmentTokenInfo.self)
        }

        let token: EnrollmentTokenInfo = try await admin.post(
            APIPath.adminEnrollmentTokens, json: CreateEnrollmentTokenRequest())
        let key = DeviceKey.generate()
        let anonymous = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM)
        _ = await refusal(status: 400, code: "invalid_request") {
            try await anonymous.post(
                APIPath.enroll,
                json: EnrollmentRequest(token: token.token, csrPem: try key.makeCSRPEM(), tags: [poisoned]),
                as: EnrollmentResponse.self)
        }
        let enrolled: EnrollmentResponse = try await anonymous.post(
            APIPath.enroll,
            json: EnrollmentRequest(
                token: token.token, csrPem: try key.makeCSRPEM(), tags: [Tag(key: "device.zone", value: "lab")]))
        await anonymous.shutdown()
        let devices: DeviceList = try await admin.get(APIPath.adminDevices)
        XCTAssertEqual(devices.devices.map(\.id), [enrolled.deviceId])
        XCTAssertEqual(devices.devices.first?.tags, [Tag(key: "device.zone", value: "lab")])

        let _: ModelVersionInfo = try await admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: "4-3-2", seed: 1))
        _ = await refusal(status: 400, code: "invalid_request") {
            try await admin.post(
                APIPath.adminDeployments,
                json: CreateDeploymentRequest(model: "m", version: 1, selector: .tags([poisoned])),
                as: DeploymentInfo.self)
        }
        _ = await refusal(status: 400, code: "invalid_request") {
            try await admin.post(
                APIPath.adminRuns,
                json: StartRunRequest(model: "m", clients: 1, minClients: 1, rounds: 1, selector: .tags([poisoned])),
                as: RunInfo.self)
        }
        try await aggregator.stop()
    }
}
