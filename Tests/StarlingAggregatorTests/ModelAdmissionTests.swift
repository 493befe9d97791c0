import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// The registry refuses models it should not build (too large, non-finite weights) before
/// allocating or registering anything, and keeps answering afterwards.
final class ModelAdmissionTests: XCTestCase {
    /// A 4-3-2 bundle (23 parameters) whose `layers.1.weight` is `weight` when given.
    private func bundleBytes(name: String = "imported", weight: SafetensorsTensor? = nil) throws -> [UInt8] {
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let manifest = try ModelManifest(
            name: name, version: 1, architecture: architecture, labels: ["no", "yes"],
            preprocessing: .identity(featureCount: 4), confidenceThreshold: 0.8)
        let bytes = try ModelBundle(manifest: manifest, model: Model(architecture: architecture, seed: 3)).encoded()
        guard let weight else { return bytes }
        var file = try SafetensorsFile(decoding: bytes)
        file.tensors["layers.1.weight"] = weight
        return file.encoded()
    }

    func test_create_of65536x65536x10_answers400ModelTooLarge_andTheAggregatorKeepsAnswering() async throws {
        let aggregator = try await TestAggregator.start()
        await assertAPIError(status: 400, code: "model_too_large") {
            try await aggregator.admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: "huge", architecture: "65536-65536-10"),
                as: ModelVersionInfo.self)
        }
        let health: [String: String] = try await aggregator.admin.get(APIPath.healthz)
        XCTAssertEqual(health, ["status": "ok"])
        let refused: ModelList = try await aggregator.admin.get(APIPath.adminModels)
        XCTAssertEqual(refused.models.map(\.name), [])
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "small", architecture: "64-32-10", seed: 1))
        XCTAssertEqual(created.version, 1)
        try await aggregator.stop()
    }

    func test_configuredLimit_refusesASmallerModelOnCreateAndImport_andAdmitsOneWithinIt() async throws {
        let aggregator = try await TestAggregator.start(
            modelSizeLimit: ModelSizeLimit(maximumParameters: 22, maximumLayers: 32))
        await assertAPIError(status: 400, code: "model_too_large") {
            try await aggregator.admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: "four", architecture: "4-3-2"),
                as: ModelVersionInfo.self)
        }
        await assertAPIError(status: 400, code: "model_too_large") {
            try await aggregator.admin.post(
                APIPath.adminModelImport, bytes: try self.bundleBytes(), as: ModelVersionInfo.self)
        }
        // 4-2-2 has 4·2 + 2 + 2·2 + 2 = 16 parameters.
        let fits: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "fits", architecture: "4-2-2", seed: 1))
        XCTAssertEqual(fits.version, 1)
        let models: ModelList = try await aggregator.admin.get(APIPath.adminModels)
        XCTAssertEqual(models.models.map(\.name), ["fits"])
        try await aggregator.stop()
    }

    func test_import_withNaNInfiniteOrF64BeyondFloatWeight_answers400InvalidModel_andRegistersNothing() async throws {
        let aggregator = try await TestAggregator.start()
        let weights: [Float] = [0.5, -0.25, 1, 2, 3, 4]  // layers.1.weight is 2 × 3
        var nan = weights, infinite = weights, wide = weights.map(Double.init)
        nan[2] = .nan
        infinite[3] = .infinity
        wide[0] = 1e300
        let poisoned = [
            SafetensorsFile.float32(Tensor(shape: [2, 3], values: nan)),
            SafetensorsFile.float32(Tensor(shape: [2, 3], values: infinite)),
            SafetensorsFile.float64(shape: [2, 3], values: wide),
        ]
        for weight in poisoned {
            let bytes = try bundleBytes(weight: weight)
            await assertAPIError(status: 400, code: "invalid_model") {
                try await aggregator.admin.post(APIPath.adminModelImport, bytes: bytes, as: ModelVersionInfo.self)
            }
        }
        let models: ModelList = try await aggregator.admin.get(APIPath.adminModels)
        XCTAssertEqual(models.models.map(\.name), [])
        await assertAPIError(status: 404, code: "model_not_found") {
            try await aggregator.admin.get(APIPath.adminVersions(model: "imported"), as: VersionList.self)
        }
        let clean: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModelImport, bytes: try bundleBytes())
        XCTAssertEqual(clean.model, "imported")
        try await aggregator.stop()
    }
}
