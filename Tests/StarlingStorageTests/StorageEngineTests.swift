import Foundation
import XCTest

@testable import StarlingStorage

/// The storage interface behaves the same on both engines: SQLite on a temporary file, and
/// PostgreSQL on the throw-away server `make test` starts (scripts/postgres-test-server.sh, whose
/// URL is in STARLING_TEST_POSTGRES_URL; without it the PostgreSQL half is skipped).
final class StorageEngineTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// SQLite on a new file, and PostgreSQL when a server is given.
    private func engines() throws -> [any StorageEngine] {
        var engines: [any StorageEngine] = [try SQLiteEngine(path: directory.appendingPathComponent("db.sqlite").path)]
        if let url = TestEngines.postgresURL {
            engines.append(try PostgreSQLEngine(url: url))
        }
        return engines
    }

    /// A table name unique to this test run, so runs against one PostgreSQL database never meet.
    private func table(_ name: String) -> String {
        "\(name)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    func testEveryValueKindRoundTripsThroughATable() async throws {
        for engine in try engines() {
            let items = table("items")
            let values: [SQLValue] = [
                .integer(Int64.max), .real(-2.5e-300), .text("naïve ? 'quoted'"), .blob([0, 255, 7]),
            ]
            try await engine.write { db in
                try db.execute(
                    SQLStatement(
                        "CREATE TABLE \(items) (id BIGINT PRIMARY KEY, score DOUBLE PRECISION, name TEXT, payload BYTEA, note TEXT)"
                    ))
                try db.execute(SQLStatement("INSERT INTO \(items) VALUES (?, ?, ?, ?, ?)", values + [.null]))
            }
            let row = try await engine.read { db in try db.row(SQLStatement("SELECT * FROM \(items)")) }
            let read = try XCTUnwrap(row, "\(engine.dialect)")
            XCTAssertEqual(read.columns, ["id", "score", "name", "payload", "note"], "\(engine.dialect)")
            XCTAssertEqual(read.values, values + [.null], "\(engine.dialect)")
            XCTAssertEqual(try read.integer("id"), Int64.max)
            XCTAssertEqual(try read.blob("payload"), [0, 255, 7])
            XCTAssertTrue(read.isNull("note"))
            XCTAssertThrowsError(try read.text("id"), "an integer is not text") { error in
                XCTAssertEqual((error as? StorageError)?.kind, .schema)
            }
            try await engine.close()
        }
    }

    func testAWriteThatThrowsLeavesNothingBehind() async throws {
        struct Refused: Error {}
        for engine in try engines() {
            let counts = table("counts")
            try await engine.write { db in
                try db.execute(SQLStatement("CREATE TABLE \(counts) (name TEXT PRIMARY KEY, n BIGINT NOT NULL)"))
                try db.execute(SQLStatement("INSERT INTO \(counts) VALUES (?, ?)", [.text("a"), .integer(1)]))
            }
            do {
                try await engine.write { db in
                    try db.execute(SQLStatement("UPDATE \(counts) SET n = n + 10"))
                    try db.execute(SQLStatement("INSERT INTO \(counts) VALUES (?, ?)", [.text("b"), .integer(2)]))
                    throw Refused()
                }
                XCTFail("the body's error reaches the caller")
            } catch is Refused {}
            let rows = try await engine.read { db in try db.rows(SQLStatement("SELECT name, n FROM \(counts)")) }
            XCTAssertEqual(rows.map(\.values), [[.text("a"), .integer(1)]], "\(engine.dialect)")
            try await engine.close()
        }
    }

    func testAConstraintViolationIsAConstraintErrorAndKeepsEarlierWrites() async throws {
        for engine in try engines() {
            let names = table("names")
            try await engine.write { db in
                try db.execute(SQLStatement("CREATE TABLE \(names) (name TEXT PRIMARY KEY)"))
                try db.execute(SQLStatement("INSERT INTO \(names) VALUES (?)", [.text("taken")]))
            }
            do {
                try await engine.write { db in
                    try db.execute(SQLStatement("INSERT INTO \(names) VALUES (?)", [.text("taken")]))
                }
                XCTFail("a duplicate key is refused")
            } catch let error as StorageError {
                XCTAssertEqual(error.kind, .constraint, "\(engine.dialect): \(error)")
            }
            let count = try await engine.read { db in
                try db.row(SQLStatement("SELECT COUNT(*) AS count FROM \(names)"))?.integer("count")
            }
            XCTAssertEqual(count, 1, "\(engine.dialect)")
            try await engine.close()
        }
    }

    func testConcurrentReadModifyWriteTransactionsDoNotLoseUpdates() async throws {
        for engine in try engines() {
            let counter = table("counter")
            try await engine.write { db in
                try db.execute(SQLStatement("CREATE TABLE \(counter) (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)"))
                try db.execute(SQLStatement("INSERT INTO \(counter) VALUES (1, 0)"))
            }
            // Each transaction reads the value, then writes it plus one: without serialized writes,
            // two of them would read the same value and one increment would be lost.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await engine.write { db in
                            let n =
                                try db.row(SQLStatement("SELECT n FROM \(counter) WHERE id = 1"))?.integer("n") ?? -1
                            try db.execute(SQLStatement("UPDATE \(counter) SET n = ? WHERE id = 1", [.integer(n + 1)]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let n = try await engine.read { db in try db.row(SQLStatement("SELECT n FROM \(counter)"))?.integer("n") }
            XCTAssertEqual(n, 16, "\(engine.dialect)")
            try await engine.close()
        }
    }

    func testPlaceholdersInQuotesAndCommentsStayText_andAMissingValueIsAnError() async throws {
        let statement = SQLStatement("SELECT '?' AS mark, \"a?\" -- why?\n, ? AS value", [.integer(4)])
        XCTAssertEqual(statement.placeholderCount, 1)
        XCTAssertEqual(statement.numberedText, "SELECT '?' AS mark, \"a?\" -- why?\n, $1 AS value")
        for engine in try engines() {
            let row = try await engine.read { db in
                try db.row(SQLStatement("SELECT '?' AS mark, ? AS value", [.integer(4)]))
            }
            XCTAssertEqual(row?.values, [.text("?"), .integer(4)], "\(engine.dialect)")
            do {
                _ = try await engine.read { db in try db.rows(SQLStatement("SELECT ? AS value")) }
                XCTFail("a placeholder without a value is refused")
            } catch let error as StorageError {
                XCTAssertEqual(error.kind, .schema, "\(engine.dialect): \(error)")
            }
            try await engine.close()
        }
    }

    func testPostgreSQLUnreachableIsUnavailable_andABadURLIsRefused() async throws {
        XCTAssertThrowsError(try PostgreSQLEngine(url: "mysql://x@h/db")) { error in
            XCTAssertEqual((error as? StorageError)?.kind, .schema)
        }
        // A port nothing listens on: connecting fails at once on loopback.
        let engine = try PostgreSQLEngine(url: "postgres://starling@127.0.0.1:1/starling")
        do {
            _ = try await engine.read { db in try db.rows("SELECT 1") }
            XCTFail("no server answers on port 1")
        } catch let error as StorageError {
            XCTAssertEqual(error.kind, .unavailable, "\(error)")
        }
        try await engine.close()
    }
}
