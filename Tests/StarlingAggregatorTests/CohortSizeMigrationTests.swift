import Foundation
import GRDB
import StarlingStorage
import XCTest

@testable import StarlingAggregator

/// Rounds stored before a round's cohort was counted in a column of its own get their cohorts
/// counted by the migration that adds it, so a run reads the same cohort sizes after the upgrade.
final class CohortSizeMigrationTests: XCTestCase {
    func test_roundsStoredBeforeTheColumn_getTheirCohortsCounted() throws {
        let folder = TestAggregator.freshFolderURL()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("starling.sqlite").path
        let then = Date(timeIntervalSince1970: 1_700_000_000)
        let legacy = try DatabasePool(path: path)
        try Migrations.migrator.migrate(legacy, upTo: "v24-dashboard-sessions")
        try legacy.write { db in
            try db.execute(
                sql: "INSERT INTO runs (id, model, state, plan, createdAt) VALUES ('rnd-1', 'm', 'completed', '{}', ?)",
                arguments: [then])
            try db.execute(
                sql: """
                    INSERT INTO rounds (runId, round, state, baseVersion, cohort, startedAt)
                    VALUES ('rnd-1', 1, 'completed', 1, '["dev-a","dev-b","dev-c"]', ?),
                        ('rnd-1', 2, 'completed', 2, '[]', ?)
                    """, arguments: [then, then])
        }
        try legacy.close()

        let storage = try Storage(path: path)
        let sizes = try storage.engine.readBlocking { db in
            try db.rows(SQLStatement("SELECT cohortSize FROM rounds ORDER BY round")).map {
                try $0.integer("cohortSize")
            }
        }
        XCTAssertEqual(sizes, [3, 0])
    }
}
