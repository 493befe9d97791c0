import Foundation
import StarlingProtocol
import StarlingStorage
import XCTest

@testable import StarlingAggregator

/// What the aggregator accepted survives a restart on the same data folder.
final class StorageRestartTests: XCTestCase {
    func test_migrations_createEveryTable_andAreIdempotent() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-storage-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        _ = try Storage(path: path)
        let reopened = try Storage(path: path)
        let tables = try reopened.engine.readBlocking { db in
            try db.rows(
                SQLStatement(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb%' AND name NOT LIKE 'sqlite%' ORDER BY name"
                )
            ).map { try $0.text("name") }
        }
        XCTAssertEqual(
            tables,
            [
                "adminTokens", "artifacts", "auditEvents", "dashboardSessions", "deploymentEvents",
                "deploymentReports", "deployments", "devices",
                "enrollmentTokens", "experiments",
                "featureProfiles", "leadership", "modelAliases", "modelVersions", "models", "monitorAlerts",
                "monitorRules",
                "monitorWindows",
                "replicaEndpoints",
                "roundFailures",
                "roundPartialSums",
                "roundUpdateBytes",
                "roundUpdates", "rounds", "runOptimizerStates", "runs", "secureMaskedSums", "secureMessages",
                "secureSessions", "settings", "versionEvaluations",
            ])
        let journal = try reopened.engine.readBlocking { db in try db.row("PRAGMA journal_mode")?.text("journal_mode") }
        XCTAssertEqual(journal, "wal")
    }

    func test_restartOnSameFolder_keepsDevicesVersionsTokenAndDeviceURL_takesUpRuns_andFailsRunsWithoutAMachine()
        async throws
    {
        let first = try await TestAggregator.start()
        let _: ModelVersionInfo = try await first.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "kept", architecture: "4-2", seed: 5))
        let device = try await first.enroll(tags: [Tag(key: "zone", value: "lab")])
        let round: RunInfo = try await first.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "kept", clients: 1, minClients: 1, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 1))
        let older: RunInfo = try await first.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "kept", clients: 1, minClients: 1, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 2))
        let versionsBefore: VersionList = try await first.admin.get(APIPath.adminVersions(model: "kept"))
        await device.client.shutdown()
        try await first.stop(removingFolder: false)
        // A run as an aggregator from before run machines left it.
        let storage = try first.openStorage()
        try await storage.engine.write { db in
            try db.execute("UPDATE runs SET machine = NULL WHERE id = ?", older.id)
        }

        let second = try await TestAggregator.start(folder: first.folder)
        XCTAssertEqual(second.lines.all.count, 1, "the admin token is announced only on the run that creates it")
        XCTAssertEqual(second.endpoints.deviceUrl, first.endpoints.deviceUrl, "enrolled devices keep their device URL")
        let versionsAfter: VersionList = try await second.admin.get(APIPath.adminVersions(model: "kept"))
        XCTAssertEqual(versionsAfter.versions, versionsBefore.versions)
        let devices: DeviceList = try await second.admin.get(APIPath.adminDevices)
        XCTAssertEqual(devices.devices.map(\.id), [device.id])
        XCTAssertEqual(devices.devices.first?.online, false)
        let resumed: RunInfo = try await second.admin.get(APIPath.adminRun(id: round.id))
        XCTAssertEqual(resumed.state, .waiting, "the run is taken up again, waiting for its device")
        XCTAssertEqual(resumed.stage, .waitingForDevices)
        let interrupted: RunInfo = try await second.admin.get(APIPath.adminRun(id: older.id))
        XCTAssertEqual(interrupted.state, .failed)
        XCTAssertEqual(interrupted.failureReason, "the aggregator restarted")
        let weights = try await second.admin.getBytes(APIPath.adminWeights(model: "kept", version: 1))
        XCTAssertEqual(Secrets.sha256(weights), versionsAfter.versions.first?.sha256)
        try await second.stop()
    }

    func test_aHeartbeat_showsInTheListingAtOnce_andIsStoredByShutdown() async throws {
        let first = try await TestAggregator.start()
        let device = try await first.enroll()
        _ = try await device.watch(sampleCount: 123)
        let listed: DeviceList = try await first.admin.get(APIPath.adminDevices)
        XCTAssertEqual(listed.devices.first?.sampleCount, 123, "the listing reads the heartbeat before it is stored")
        let seen = try XCTUnwrap(listed.devices.first?.lastSeen)
        await device.client.shutdown()
        try await first.stop(removingFolder: false)

        let second = try await TestAggregator.start(folder: first.folder)
        let devices: DeviceList = try await second.admin.get(APIPath.adminDevices)
        XCTAssertEqual(devices.devices.first?.sampleCount, 123)
        XCTAssertEqual(try XCTUnwrap(devices.devices.first?.lastSeen).timeIntervalSince(seen), 0, accuracy: 1)
        try await second.stop()
    }
}
