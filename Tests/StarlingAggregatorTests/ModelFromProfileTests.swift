import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A model created from a feature profile takes its preprocessing from the profile and names it in
/// its manifest; a profile of another width is refused.
final class ModelFromProfileTests: XCTestCase {
    func test_creatingFromACollectedProfile_choosesItsPreprocessing_andRefusesAnotherWidth() async throws {
        let aggregator = try await TestAggregator.start()
        let (run, _) = try await StatisticsFixtures.collect("inputs", width: 4, on: aggregator)
        XCTAssertEqual(run.state, .completed, run.failureReason ?? "")
        let profile: FeatureProfile = try await aggregator.admin.get(APIPath.adminProfile(name: "inputs"))

        do {
            let _: ModelVersionInfo = try await aggregator.admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: "wide", architecture: "6-3-2", profile: "inputs"))
            XCTFail("a 6-input model was created from a 4-feature profile")
        } catch {
            guard case .api(let status, let code, let message) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 400)
            XCTAssertEqual(code, "profile_width_mismatch")
            XCTAssertTrue(message.contains("4 features"), message)
            XCTAssertTrue(message.contains("6 inputs"), message)
        }
        await assertAPIError(status: 404, code: "profile_not_found") {
            try await aggregator.admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: "lost", architecture: "4-2", profile: "nothing"),
                as: ModelVersionInfo.self)
        }
        await assertAPIError(status: 400, code: "invalid_model") {
            try await aggregator.admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: "lost", architecture: "4-2", preprocess: .zscore),
                as: ModelVersionInfo.self)
        }

        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels,
            json: CreateModelRequest(
                name: "fitted", architecture: "4-3-2", labels: ["no", "yes"], seed: 4, profile: "inputs"))
        XCTAssertEqual(created.version, 1)
        let bundle = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "fitted", version: 1)))
        XCTAssertEqual(bundle.manifest.profile, ProfileReference(name: "inputs", version: 1))
        XCTAssertEqual(bundle.manifest.preprocessing, Preprocessing.auto(from: profile))
        XCTAssertEqual(bundle.manifest.labels, ["no", "yes"])

        let chosen: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels,
            json: CreateModelRequest(
                name: "scaled", architecture: "4-2", seed: 4, profile: "inputs", profileVersion: 1,
                preprocess: .minmax))
        let scaled = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(
                APIPath.adminWeights(model: "scaled", version: chosen.version)))
        XCTAssertEqual(scaled.manifest.preprocessing, Preprocessing.fitted(.minmax, from: profile))
        XCTAssertNotEqual(scaled.manifest.preprocessing, bundle.manifest.preprocessing)
        try await aggregator.stop()
    }
}
