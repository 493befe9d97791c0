import Foundation
import GRDB
import StarlingCore
import StarlingProtocol
import StarlingStorage
import XCTest

@testable import StarlingAggregator

/// A database from before run kinds (schema v6, with a finished training run) upgrades in place:
/// its run reads as a training run with the settings runs had then, every foreign key still holds,
/// and the new tables take rows for it.
final class RunKindsMigrationTests: XCTestCase {
    private let legacyPlan = """
        {"model":"m","clients":1,"minClients":1,"localEpochs":1,"learningRate":0.1,"momentum":0.9,"batchSize":32,\
        "rounds":1,"deadlineSeconds":60,"selector":"all","seed":4}
        """

    func test_aV6DatabaseWithATrainingRun_upgradesKeepingTheRunAndItsReferences() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-v6-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("starling.sqlite").path
        let then = Date(timeIntervalSince1970: 1_700_000_000)
        let legacy = try DatabasePool(path: path)
        try Migrations.migrator.migrate(legacy, upTo: "v6-rollouts")
        try await legacy.write { [legacyPlan] db in
            try db.execute(
                sql:
                    "INSERT INTO models (name, architecture, labels, confidenceThreshold, createdAt) VALUES (?, ?, ?, ?, ?)",
                arguments: ["m", "4-2", #"["a","b"]"#, 0.8, then])
            try db.execute(
                sql: """
                    INSERT INTO modelVersions (model, version, sha256, sizeBytes, path, source, lineage, metrics, createdAt)
                    VALUES ('m', 1, 'aa', 1, '/m/1', 'initialized', '{}', '{}', ?)
                    """, arguments: [then])
            try db.execute(
                sql: """
                    INSERT INTO devices (id, tags, certificatePEM, enrolledAt, sampleCount, revoked)
                    VALUES ('dev-1', '[]', 'pem', ?, 10, 0)
                    """, arguments: [then])
            try db.execute(
                sql:
                    "INSERT INTO rounds (id, model, state, plan, createdAt) VALUES ('rnd-old', 'm', 'completed', ?, ?)",
                arguments: [legacyPlan, then])
            try db.execute(
                sql: """
                    INSERT INTO roundIterations (roundId, iteration, state, baseVersion, cohort, startedAt, endedAt)
                    VALUES ('rnd-old', 1, 'completed', 1, '["dev-1"]', ?, ?)
                    """, arguments: [then, then])
            try db.execute(
                sql: """
                    INSERT INTO roundUpdates (roundId, iteration, deviceId, trainSamples, path, receivedAt)
                    VALUES ('rnd-old', 1, 'dev-1', 10, '/u', ?)
                    """, arguments: [then])
        }
        try legacy.close()

        let storage = try Storage(path: path)
        let store = RunStore(engine: storage.engine, leadership: Leadership(replica: "test"))
        let info = try await store.info(id: "rnd-old")
        XCTAssertEqual(info.kind, .train)
        XCTAssertEqual(info.model, "m")
        XCTAssertEqual(info.state, .completed)
        XCTAssertEqual(info.rounds.map(\.updatesReceived), [1])
        XCTAssertEqual(info.rounds.first?.failedClients, [])
        XCTAssertNil(info.evaluation)
        XCTAssertNil(info.profile)
        let violations = try await storage.engine.read { db in try db.rows("PRAGMA foreign_key_check") }
        XCTAssertEqual(violations, [])

        try await store.insert(
            RoundFailureRecord(
                runId: "rnd-old", round: 1, deviceId: "dev-1", reason: .diverged, detail: "late",
                reportedAt: then))
        let state = RunOptimizerStateRecord(
            runId: "rnd-old", step: 1, state: Data(ServerOptimizerState(step: 1).encoded()), updatedAt: then)
        try await storage.engine.write { db in try db.save(state) }
        let step = try await store.optimizerState(runId: "rnd-old")?.step
        XCTAssertEqual(step, 1)
        let statisticsRun = RunRecord(
            id: "rnd-stats", kind: .statistics, model: "", state: .waiting,
            plan: try RunPlan(
                validating: CollectStatisticsRequest(name: "p", width: 2), width: 2, model: "", minimumDevices: 3,
                defaultDeadline: 60, seed: 1),
            failureReason: nil, createdAt: then, machine: nil)
        try await store.insert(
            statisticsRun, first: RunCoordinator.newRound(of: statisticsRun, number: 1, baseVersion: 0, at: then))
        let stored = try await store.info(id: "rnd-stats")
        XCTAssertEqual(
            stored.kind, .statistics, "a run without a model is stored now that rounds no longer reference models")
    }
}
