import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAgent

/// The two model slots in the store and on disk: recorded together, migrated from the one installed
/// model of earlier agents, and restored at start-up from the files alone.
final class ModelSlotStoreTests: XCTestCase {
    func test_recordModelSlots_keepsBothSlots_andReplacesThemTogether() async throws {
        let store = try AgentStore(path: try makeTemporaryDirectory().appendingPathComponent("agent.sqlite"))
        let three = try ToyArtifacts(version: 3).record
        let four = try ToyArtifacts(version: 4).record
        let empty = try await store.modelSlots()
        XCTAssertEqual(empty, .empty)

        try await store.recordModelSlots(ModelSlots.empty.installing(three))
        try await store.recordModelSlots(try await store.modelSlots().installing(four))
        let installed = try await store.modelSlots()
        XCTAssertEqual(installed, ModelSlots(active: four, previous: three))

        try await store.recordModelSlots(installed.rolledBack)
        let rolledBack = try await store.modelSlots()
        XCTAssertEqual(rolledBack, ModelSlots(active: three, previous: four))
    }

    func test_installing_theActiveVersion_changesNothing() throws {
        let three = try ToyArtifacts(version: 3).record
        let four = try ToyArtifacts(version: 4).record
        let slots = ModelSlots(active: four, previous: three)
        XCTAssertEqual(slots.installing(four), slots)
        XCTAssertEqual(slots.installing(three), ModelSlots(active: three, previous: four))
    }

    /// A data folder written by an agent from before model slots: schema v1–v3, one `installed_model`
    /// row, and the files `models/current.safetensors` and `models/current.int8.safetensors`.
    func test_existingStore_migratesItsInstalledModelIntoTheActiveSlot_andRestoreAdoptsItsFiles() async throws {
        let paths = AgentPaths(dataDirectory: try makeTemporaryDirectory())
        let toy = try ToyArtifacts(version: 3)
        let old = try SQLiteConnection(path: paths.database.path, busyTimeout: 1_000)
        try old.execute("CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        for migration in StoreMigrations.all.prefix(3) {
            try old.execute(migration.sql)
            try old.prepare("INSERT INTO grdb_migrations (identifier) VALUES (?)").run([.text(migration.identifier)])
        }
        try old.prepare(
            """
            INSERT INTO installed_model (slot, name, version, sha256, sha256_int8, deployment_id)
            VALUES (1, ?, ?, ?, ?, ?)
            """
        ).run([
            .text("toy"), .integer(3), .text(toy.record.sha256), .text(toy.record.sha256Int8), .text("dep-old"),
        ])
        try FileManager.default.createDirectory(at: paths.models, withIntermediateDirectories: true)
        try Data(toy.fp32).write(to: paths.models.appendingPathComponent("current.safetensors"))
        try Data(toy.int8).write(to: paths.models.appendingPathComponent("current.int8.safetensors"))

        let store = try AgentStore(path: paths.database)
        let slots = try await store.modelSlots()
        var expected = toy.record
        expected.deploymentId = "dep-old"
        XCTAssertEqual(slots, ModelSlots(active: expected, previous: nil))

        let restored = try await ModelInstaller.restore(paths: paths, store: store, work: testWork, logger: testLogger)
        XCTAssertEqual(restored?.tag, "toy@3")
        let files = ModelFiles(paths: paths)
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: paths.models.path)),
            [
                files.url(.fp32, sha256: expected.sha256).lastPathComponent,
                files.url(.int8, sha256: expected.sha256Int8).lastPathComponent,
            ])
    }

    func test_existingStore_withAModelInstalledBeforeInt8_startsWithNoSlot() async throws {
        let paths = AgentPaths(dataDirectory: try makeTemporaryDirectory())
        let old = try SQLiteConnection(path: paths.database.path, busyTimeout: 1_000)
        try old.execute("CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        for migration in StoreMigrations.all.prefix(2) {
            try old.execute(migration.sql)
            try old.prepare("INSERT INTO grdb_migrations (identifier) VALUES (?)").run([.text(migration.identifier)])
        }
        try old.execute("INSERT INTO installed_model (slot, name, version, sha256) VALUES (1, 'toy', 1, 'ab')")

        let slots = try await AgentStore(path: paths.database).modelSlots()
        XCTAssertEqual(slots, .empty)
    }

    func test_restore_whenTheActiveFileIsCorrupt_servesThePreviousSlot_andDropsTheActive() async throws {
        let paths = AgentPaths(dataDirectory: try makeTemporaryDirectory())
        let store = try AgentStore(path: paths.database)
        let three = try ToyArtifacts(version: 3)
        let four = try ToyArtifacts(version: 4, swapped: true)
        let files = ModelFiles(paths: paths)
        try write(three, to: files)
        try write(four, to: files)
        var corrupt = four.int8
        corrupt[corrupt.count - 2] ^= 0x40
        try Data(corrupt).write(to: files.url(.int8, sha256: four.record.sha256Int8))
        try await store.recordModelSlots(ModelSlots(active: four.record, previous: three.record))

        let restored = try await ModelInstaller.restore(paths: paths, store: store, work: testWork, logger: testLogger)

        XCTAssertEqual(restored?.tag, "toy@3")
        let slots = try await store.modelSlots()
        XCTAssertEqual(slots, ModelSlots(active: three.record, previous: nil))
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: paths.models.path)),
            Set([three.record.sha256 + ".safetensors", three.record.sha256Int8 + ".int8.safetensors"]),
            "the dropped slot's files are gone")
    }

    func test_restore_whenNoSlotVerifies_servesNothing() async throws {
        let paths = AgentPaths(dataDirectory: try makeTemporaryDirectory())
        let store = try AgentStore(path: paths.database)
        try await store.recordModelSlots(ModelSlots(active: try ToyArtifacts(version: 3).record, previous: nil))

        let restored = try await ModelInstaller.restore(paths: paths, store: store, work: testWork, logger: testLogger)
        XCTAssertNil(restored)
        let slots = try await store.modelSlots()
        XCTAssertEqual(slots, .empty)
    }

    func test_restore_keepsTheFilesOfAnInstallUnderWay_andRemovesStrayOnes() async throws {
        let paths = AgentPaths(dataDirectory: try makeTemporaryDirectory())
        let store = try AgentStore(path: paths.database)
        let three = try ToyArtifacts(version: 3)
        let four = try ToyArtifacts(version: 4)
        let files = ModelFiles(paths: paths)
        try write(three, to: files)
        try await store.recordModelSlots(ModelSlots(active: three.record, previous: nil))
        let underWay = [
            files.url(.fp32, sha256: four.record.sha256), files.partial(sha256: four.record.sha256Int8),
        ]
        try Data(four.fp32).write(to: underWay[0])
        try Data(four.int8.prefix(10)).write(to: underWay[1])
        let stray = [
            paths.models.appendingPathComponent(".x.safetensors.1.tmp"),
            paths.models.appendingPathComponent("current.safetensors"),
        ]
        for file in stray { try Data([1, 2, 3]).write(to: file) }

        let restored = try await ModelInstaller.restore(paths: paths, store: store, work: testWork, logger: testLogger)

        XCTAssertEqual(restored?.tag, "toy@3")
        for file in underWay {
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), file.lastPathComponent)
        }
        for file in stray { XCTAssertFalse(FileManager.default.fileExists(atPath: file.path), file.lastPathComponent) }
    }

    /// Writes both artifacts of `toy` under their content-addressed names.
    private func write(_ toy: ToyArtifacts, to files: ModelFiles) throws {
        try files.prepare()
        try Data(toy.fp32).write(to: files.url(.fp32, sha256: toy.record.sha256))
        try Data(toy.int8).write(to: files.url(.int8, sha256: toy.record.sha256Int8))
    }
}
