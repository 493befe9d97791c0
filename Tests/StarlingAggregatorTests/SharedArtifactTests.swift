import Foundation
import StarlingProtocol
import StarlingStorage
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// A version's artifacts are kept in the database by digest, so a replica without them on disk,
/// or with a copy that is truncated or corrupt, serves them from the database and repairs its copy;
/// a database copy that does not match its digest is never served.
final class SharedArtifactTests: XCTestCase {
    func test_aMissingOrCorruptCopy_isFetchedAgainFromTheDatabase_andRewritten() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "shared", architecture: "6-4-3", seed: 2))
        let fp32File = aggregator.folder.appendingPathComponent("models/shared/1.safetensors")
        let int8File = aggregator.folder.appendingPathComponent("models/shared/1.int8.safetensors")
        let original = try Data(contentsOf: fp32File)
        try original.prefix(original.count / 2).write(to: fp32File)
        try FileManager.default.removeItem(at: int8File)

        let fp32 = try await aggregator.admin.getBytes(APIPath.adminWeights(model: "shared", version: 1))
        let int8 = try await aggregator.admin.getBytes(
            APIPath.adminWeights(model: "shared", version: 1, format: .int8))
        XCTAssertEqual(Secrets.sha256(fp32), created.sha256)
        XCTAssertEqual(Secrets.sha256(int8), created.sha256Int8)
        XCTAssertEqual(try Data(contentsOf: fp32File), original, "the truncated copy is rewritten")
        XCTAssertEqual(Secrets.sha256(try Data(contentsOf: int8File)), created.sha256Int8, "the missing copy is back")

        let storage = try aggregator.openStorage()
        let kept = try await storage.engine.read { db in
            try db.rows("SELECT sha256, sizeBytes FROM artifacts ORDER BY sha256").map {
                [try $0.text("sha256"), String(try $0.integer("sizeBytes"))]
            }
        }
        XCTAssertEqual(
            kept,
            [[created.sha256, String(created.sizeBytes)], [created.sha256Int8, String(created.sizeBytesInt8)]].sorted {
                $0[0] < $1[0]
            })
        try await storage.engine.close()
    }

    func test_aDatabaseCopyThatDoesNotMatchItsDigest_isNeverServed() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "spoilt", architecture: "4-2", seed: 1))
        let storage = try aggregator.openStorage()
        try await storage.engine.write { db in
            try db.execute("UPDATE artifacts SET bytes = ? WHERE sha256 = ?", SQLValue.blob([1, 2, 3]), created.sha256)
        }
        try await storage.engine.close()
        try FileManager.default.removeItem(at: aggregator.folder.appendingPathComponent("models/spoilt/1.safetensors"))

        await assertAPIError(status: 500, code: "internal_error") {
            try await aggregator.admin.getBytes(APIPath.adminWeights(model: "spoilt", version: 1))
        }
    }

    func test_versionsRegisteredBeforeSharedArtifacts_areKeptInTheDatabaseAtStartUp() async throws {
        let first = try await TestAggregator.start()
        let created: ModelVersionInfo = try await first.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "older", architecture: "4-2", seed: 4))
        try await first.stop(removingFolder: false)
        let storage = try first.openStorage()
        try await storage.engine.write { db in try db.execute("DELETE FROM artifacts") }

        let second = try await TestAggregator.start(folder: first.folder)
        addTeardownBlock { try await second.stop() }
        let kept = try await storage.engine.read { db in
            try db.rows("SELECT sha256 FROM artifacts").map { try $0.text("sha256") }
        }
        XCTAssertEqual(Set(kept), [created.sha256, created.sha256Int8])
        try await storage.engine.close()
    }
}
