import Foundation
import Quantization
import StarlingCore
import StarlingProtocol
import StarlingStorage
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Every registered version has an int8 artifact beside its fp32 one, served with its own digest.
final class Int8ArtifactTests: XCTestCase {
    func test_createdAndImportedVersions_haveInt8ArtifactsWhoseDigestIsServed() async throws {
        let aggregator = try await TestAggregator.start()
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "quant", architecture: "4-3-2", seed: 7))
        let fp32 = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "quant", version: 1)))
        let imported: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModelImport + "?name=quant", bytes: fp32.encoded())

        for info in [created, imported] {
            let file = aggregator.folder.appendingPathComponent("models/quant/\(info.version).int8.safetensors")
            let stored = try Data(contentsOf: file)
            XCTAssertEqual(Secrets.sha256(Array(stored)), info.sha256Int8)
            XCTAssertEqual(stored.count, info.sizeBytesInt8)
            XCTAssertNotEqual(info.sha256Int8, info.sha256)

            let served = try await aggregator.admin.getBytes(
                APIPath.adminWeights(model: "quant", version: info.version, format: .int8))
            XCTAssertEqual(Secrets.sha256(served), info.sha256Int8)
            let int8 = try Int8Bundle(decoding: served)
            XCTAssertEqual(int8.manifest.name, "quant")
            XCTAssertEqual(int8.manifest.version, info.version)
            XCTAssertEqual(int8.manifest.architecture, fp32.manifest.architecture)
        }
        let listed: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "quant"))
        XCTAssertEqual(listed.versions.map(\.sha256Int8), [created.sha256Int8, imported.sha256Int8])

        let device = try await aggregator.enroll()
        let deviceCopy = try await device.client.getBytes(
            APIPath.deviceWeights(model: "quant", version: 1, format: .int8))
        XCTAssertEqual(Secrets.sha256(deviceCopy), created.sha256Int8)
        await assertAPIError(status: 400, code: "invalid_format") {
            try await aggregator.admin.getBytes(APIPath.adminWeights(model: "quant", version: 1) + "?format=int4")
        }
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_versionsRegisteredBeforeInt8_getTheirArtifactAtStartUp() async throws {
        let first = try await TestAggregator.start()
        let created: ModelVersionInfo = try await first.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "old", architecture: "4-2", seed: 3))
        try await first.stop(removingFolder: false)
        // Make the row look like one written before the v2 migration.
        let database = try first.openStorage()
        try await database.engine.write { db in
            try db.execute("UPDATE modelVersions SET sha256Int8 = '', sizeBytesInt8 = 0, pathInt8 = ''")
        }
        try await database.engine.close()
        let int8File = first.folder.appendingPathComponent("models/old/1.int8.safetensors")
        try FileManager.default.removeItem(at: int8File)

        let second = try await TestAggregator.start(folder: first.folder)
        let versions: VersionList = try await second.admin.get(APIPath.adminVersions(model: "old"))
        XCTAssertEqual(versions.versions.map(\.sha256Int8), [created.sha256Int8])
        let served = try await second.admin.getBytes(APIPath.adminWeights(model: "old", version: 1, format: .int8))
        XCTAssertEqual(Secrets.sha256(served), created.sha256Int8)
        try await second.stop()
    }
}
