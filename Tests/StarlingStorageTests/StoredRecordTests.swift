import Foundation
import GRDB
import XCTest

@testable import StarlingStorage

/// Records go in and out of tables whole, the same on both engines, in the format GRDB kept them
/// in, so databases written before read the same.
final class StoredRecordTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    struct Detail: Codable, Equatable {
        var limits: [Int]
        var at: Date
    }

    enum Kind: String, Codable {
        case sensor
        case camera
    }

    struct Gadget: StoredRecord, Equatable, FetchableRecord, PersistableRecord {
        static let tableName = "gadgets"
        static let databaseTableName = "gadgets"
        static let primaryKey = ["owner", "id"]
        var owner: String
        var id: Int
        var score: Double
        var active: Bool
        var seen: Date
        var retired: Date?
        var kind: Kind
        var tags: [String]
        var detail: Detail
        var payload: Data
        var note: String?
        /// A reserved word in PostgreSQL: the record methods quote it.
        var window: String
    }

    struct Event: StoredRecord, Equatable {
        static let tableName = "events"
        static let primaryKey = ["id"]
        static let generatedKey: String? = "id"
        var id: Int64?
        var message: String
    }

    private static let gadgetsTable = """
        CREATE TABLE gadgets (owner TEXT NOT NULL, id BIGINT NOT NULL, score DOUBLE PRECISION NOT NULL,
        active BIGINT NOT NULL, seen TEXT NOT NULL, retired TEXT, kind TEXT NOT NULL, tags TEXT NOT NULL,
        detail TEXT NOT NULL, payload BYTEA NOT NULL, note TEXT, "window" TEXT NOT NULL, PRIMARY KEY (owner, id))
        """

    private static func gadget(_ id: Int, note: String? = "first") -> Gadget {
        Gadget(
            owner: "ana", id: id, score: 0.25, active: id % 2 == 0,
            seen: Date(timeIntervalSince1970: 1_764_966_366.125), retired: nil, kind: .camera, tags: ["a", "b"],
            detail: Detail(limits: [1, 2], at: Date(timeIntervalSince1970: 1_700_000_000.5)),
            payload: Data([0, 1, 255]), note: note, window: "w\(id)")
    }

    func testARecordRoundTrips_andIsUpdatedSavedAndDeletedByItsKey() async throws {
        let setup = try TestEngines(directory: directory)
        for engine in setup.engines {
            let engineName = "\(engine.dialect)"
            let read = try await engine.write { db in
                try db.execute(SQLStatement(Self.gadgetsTable))
                try db.insert(Self.gadget(1))
                try db.insert(Self.gadget(2))
                return try db.fetchOne(Gadget.self, key: "ana", 1)
            }
            XCTAssertEqual(read, Self.gadget(1), engineName)

            var changed = Self.gadget(2, note: nil)
            changed.retired = Date(timeIntervalSince1970: 1_800_000_000)
            changed.kind = .sensor
            let afterUpdate = try await engine.write { [changed] db in
                try db.update(changed)
                try db.save(Self.gadget(3))
                var saved = Self.gadget(1)
                saved.score = 9
                try db.save(saved)
                return try db.fetchAll(Gadget.self, "SELECT * FROM gadgets WHERE owner = ? ORDER BY id", "ana")
            }
            var expected = [Self.gadget(1), changed, Self.gadget(3)]
            expected[0].score = 9
            XCTAssertEqual(
                afterUpdate, expected, "update clears a column set to nil; save inserts or replaces: \(engineName)")

            let (deleted, deletedAgain, remaining, windows) = try await engine.write { db in
                (
                    try db.delete(Gadget.self, key: "ana", 2), try db.delete(Gadget.self, key: "ana", 2),
                    try db.integer("SELECT COUNT(*) FROM gadgets"),
                    try db.rows(SQLStatement("SELECT \"window\" FROM gadgets ORDER BY id")).map {
                        try $0.text("window")
                    }
                )
            }
            XCTAssertTrue(deleted, engineName)
            XCTAssertFalse(deletedAgain, engineName)
            XCTAssertEqual(remaining, 2, engineName)
            XCTAssertEqual(windows, ["w1", "w3"], engineName)
            let exists = try await engine.read { db in
                (
                    try db.exists("SELECT 1 FROM gadgets WHERE id = ?", 3), try db.exists(Gadget.self, key: "ana", 3),
                    try db.exists(Gadget.self, key: "ana", 2)
                )
            }
            XCTAssertEqual([exists.0, exists.1, exists.2], [true, true, false], engineName)
        }
        try await setup.close()
    }

    func testUpdatingARecordWithNoRowIsAConstraintError_andLeavesTheTransactionUsable() async throws {
        let setup = try TestEngines(directory: directory)
        for engine in setup.engines {
            let count = try await engine.write { db in
                try db.execute(SQLStatement(Self.gadgetsTable))
                XCTAssertThrowsError(try db.update(Self.gadget(7))) { error in
                    XCTAssertEqual((error as? StorageError)?.kind, .constraint)
                }
                try db.insert(Self.gadget(1))
                XCTAssertThrowsError(try db.inSavepoint { try db.insert(Self.gadget(1)) }) { error in
                    XCTAssertEqual((error as? StorageError)?.kind, .constraint, "a duplicate key")
                }
                try db.insert(Self.gadget(2))
                return try db.integer("SELECT COUNT(*) FROM gadgets")
            }
            XCTAssertEqual(count, 2, "the failed savepoint undid only itself: \(engine.dialect)")
        }
        try await setup.close()
    }

    func testTheDatabaseNumbersGeneratedKeys() async throws {
        let setup = try TestEngines(directory: directory)
        for engine in setup.engines {
            let table =
                engine.dialect == .sqlite
                ? "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT NOT NULL)"
                : "CREATE TABLE events (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, message TEXT NOT NULL)"
            let (keys, events) = try await engine.write { db in
                try db.execute(SQLStatement(table))
                let keys = [
                    try db.insertReturningKey(Event(id: nil, message: "one")),
                    try db.insertReturningKey(Event(id: nil, message: "two")),
                ]
                return (keys, try db.fetchAll(Event.self, "SELECT * FROM events ORDER BY id"))
            }
            XCTAssertEqual(keys, [1, 2], "\(engine.dialect)")
            XCTAssertEqual(events, [Event(id: 1, message: "one"), Event(id: 2, message: "two")], "\(engine.dialect)")
        }
        try await setup.close()
    }

    func testRowsGRDBWroteReadTheSame_andRowsWrittenHereReadTheSameInGRDB() async throws {
        let path = directory.appendingPathComponent("grdb.sqlite").path
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            try db.execute(sql: Self.gadgetsTable)
            try Self.gadget(1).insert(db)
        }
        try pool.close()
        let engine = try SQLiteEngine(path: path)
        let read = try await engine.write { db in
            try db.insert(Self.gadget(2, note: nil))
            return try db.fetchOne(Gadget.self, key: "ana", 1)
        }
        try await engine.close()
        XCTAssertEqual(read, Self.gadget(1))
        let reopened = try DatabasePool(path: path)
        let rows = try await reopened.read { db in
            try Gadget.fetchAll(db, sql: "SELECT * FROM gadgets ORDER BY id")
        }
        XCTAssertEqual(rows, [Self.gadget(1), Self.gadget(2, note: nil)])
        let stored = try await reopened.read { db in
            try Row.fetchAll(db, sql: "SELECT seen, kind, detail, tags, payload, active FROM gadgets ORDER BY id")
        }
        XCTAssertEqual(
            stored[0].databaseValues.dropLast(), stored[1].databaseValues.dropLast(),
            "byte for byte the same stored values")
        XCTAssertEqual(stored.map { $0["active"] as Int64? }, [0, 1], "booleans as integers")
        XCTAssertEqual(stored[1]["seen"] as String?, "2025-12-05 20:26:06.125")
        try reopened.close()
    }

    func testDatesAreStoredAsSortableUTCText() {
        let cases: [(Double, String)] = [
            (0, "1970-01-01 00:00:00.000"), (1_764_966_366.125, "2025-12-05 20:26:06.125"),
            (1_709_164_800.75, "2024-02-29 00:00:00.750"), (-1.5, "1969-12-31 23:59:58.500"),
        ]
        for (seconds, text) in cases {
            XCTAssertEqual(SQLDate.text(Date(timeIntervalSince1970: seconds)), text)
            XCTAssertEqual(SQLDate.date(text)?.timeIntervalSince1970 ?? .nan, seconds, accuracy: 1e-6, text)
        }
        XCTAssertEqual(SQLDate.date("2024-02-29T12:30")?.timeIntervalSince1970, 1_709_209_800)
        XCTAssertEqual(SQLDate.date("2024-02-29")?.timeIntervalSince1970, 1_709_164_800)
        for bad in ["", "2024-13-01", "2024-02-29 25:00", "2024-02-29 12:30:00 junk", "yesterday"] {
            XCTAssertNil(SQLDate.date(bad), bad)
        }
    }
}
