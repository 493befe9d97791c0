import Foundation
import StarlingStorage
import XCTest

@testable import StarlingAggregator

/// The PostgreSQL baseline is the schema the SQLite history builds: every table, column (its kind,
/// nullability and default), primary key, reference and index the same, so one set of stores and
/// statements serves both engines. Runs against `make test`'s throw-away server.
final class PostgreSQLSchemaTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testTheBaselineMatchesTheSQLiteHistory_tableByTable() async throws {
        let server = try PostgreSQLTestSchema()
        let postgres = try PostgreSQLEngine(url: server.url)
        try await postgres.write { db in try PostgreSQLSchema.migrate(db) }
        let expected = try await Storage(path: folder.appendingPathComponent("db.sqlite").path).engine.read { db in
            try SchemaShape.sqlite(db)
        }
        let actual = try await postgres.read { db in try SchemaShape.postgresql(db) }
        XCTAssertEqual(expected.tables.count, 31, "every table of the history is compared")
        XCTAssertEqual(expected.references.count, 13)
        XCTAssertEqual(expected.indexes.count, 5)
        XCTAssertEqual(Set(actual.tables.keys), Set(expected.tables.keys))
        for (table, columns) in expected.tables {
            XCTAssertEqual(actual.tables[table], columns, table)
        }
        XCTAssertEqual(actual.primaryKeys, expected.primaryKeys)
        XCTAssertEqual(actual.references, expected.references)
        XCTAssertEqual(actual.indexes, expected.indexes)
        try await postgres.close()
        try await server.drop()
    }

    func testReplicasMigratingTogetherApplyTheBaselineOnce_andTheAuditLogStaysAppendOnly() async throws {
        let server = try PostgreSQLTestSchema()
        let engines = try (0..<3).map { _ in try PostgreSQLEngine(url: server.url) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for engine in engines {
                group.addTask { try await engine.write { db in try PostgreSQLSchema.migrate(db) } }
            }
            try await group.waitForAll()
        }
        let applied = try await engines[0].read { db in try db.integer("SELECT COUNT(*) FROM schemaMigrations") }
        XCTAssertEqual(applied, Int64(1 + PortableMigration.all.count))
        try await engines[0].write { db in
            try db.execute(
                "INSERT INTO auditEvents (at, tokenId, role, method, route, targets, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                Date(), "adm-1", "admin", "POST", "/v1/admin/x", "{}", 200)
        }
        for statement in ["UPDATE auditEvents SET status = 500", "DELETE FROM auditEvents"] {
            do {
                try await engines[1].write { db in try db.execute(SQLStatement(statement)) }
                XCTFail("\(statement) must be refused")
            } catch let error as StorageError {
                XCTAssertEqual(error.kind, .constraint, statement)
                XCTAssertTrue(error.message.contains("append-only"), error.message)
            }
        }
        for engine in engines { try await engine.close() }
        try await server.drop()
    }
}

/// What two schemas must agree on, read from either engine's catalog; names in lower case.
private struct SchemaShape {
    struct Column: Equatable, CustomStringConvertible {
        var kind: String
        var notNull: Bool
        var defaultValue: String?
        var description: String { "\(kind)\(notNull ? " not null" : "")\(defaultValue.map { " default \($0)" } ?? "")" }
    }

    var tables: [String: [String: Column]] = [:]
    var primaryKeys: [String: [String]] = [:]
    /// "table(columns) -> table" for every foreign key.
    var references: Set<String> = []
    /// "index on table" for every index made on purpose (not a key's own).
    var indexes: Set<String> = []

    static func sqlite(_ db: any SQLConnection) throws -> SchemaShape {
        var shape = SchemaShape()
        let tables = try db.rows(
            SQLStatement(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'"
            )
        ).map { try $0.text("name") }
        for table in tables {
            let name = table.lowercased()
            let columns = try db.rows(SQLStatement("SELECT * FROM pragma_table_info(?)", [.text(table)]))
            var keys: [(Int64, String)] = []
            for column in columns {
                let key = try column.integer("pk")
                if key > 0 { keys.append((key, try column.text("name").lowercased())) }
                let kind: String =
                    switch try column.text("type").uppercased() {
                    case "TEXT", "DATETIME": "text"
                    case "INTEGER", "BOOLEAN": "integer"
                    case "DOUBLE": "real"
                    case "BLOB": "blob"
                    case let other: other
                    }
                shape.tables[name, default: [:]][try column.text("name").lowercased()] = Column(
                    kind: kind, notNull: try column.integer("notnull") == 1 || key > 0,
                    defaultValue: column.isNull("dflt_value") ? nil : try column.text("dflt_value"))
            }
            shape.primaryKeys[name] = keys.sorted { $0.0 < $1.0 }.map(\.1)
            var references: [Int64: (String, [String])] = [:]
            for reference in try db.rows(
                SQLStatement("SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(table)]))
            {
                let id = try reference.integer("id")
                let target = try reference.text("table").lowercased()
                references[id, default: (target, [])].1.append(try reference.text("from").lowercased())
            }
            for (target, from) in references.values {
                shape.references.insert("\(name)(\(from.joined(separator: ","))) -> \(target)")
            }
        }
        for index in try db.rows(
            SQLStatement("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        {
            shape.indexes.insert("\(try index.text("name").lowercased()) on \(try index.text("tbl_name").lowercased())")
        }
        return shape
    }

    static func postgresql(_ db: any SQLConnection) throws -> SchemaShape {
        var shape = SchemaShape()
        let columns = try db.rows(
            SQLStatement(
                """
                SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
                FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'schemamigrations'
                """))
        for column in columns {
            let kind: String =
                switch try column.text("data_type") {
                case "text": "text"
                case "bigint": "integer"
                case "double precision": "real"
                case "bytea": "blob"
                case let other: other
                }
            let defaultValue = column.isNull("column_default") ? nil : try column.text("column_default")
            shape.tables[try column.text("table_name"), default: [:]][try column.text("column_name")] = Column(
                kind: kind, notNull: try column.text("is_nullable") == "NO",
                defaultValue: defaultValue.map { $0.replacingOccurrences(of: "::text", with: "") })
        }
        let keys = try db.rows(
            SQLStatement(
                """
                SELECT c.conrelid::regclass::text AS tbl, a.attname::text AS col
                FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(att, n)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att
                WHERE c.contype = 'p' AND c.connamespace = current_schema()::regnamespace
                    AND c.conrelid::regclass::text <> 'schemamigrations'
                ORDER BY tbl, k.n
                """))
        for key in keys { shape.primaryKeys[try key.text("tbl"), default: []].append(try key.text("col")) }
        let references = try db.rows(
            SQLStatement(
                """
                SELECT c.conrelid::regclass::text AS tbl, c.confrelid::regclass::text AS target,
                    (SELECT string_agg(a.attname::text, ',' ORDER BY k.n)
                     FROM unnest(c.conkey) WITH ORDINALITY AS k(att, n)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att) AS cols
                FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
                """))
        for reference in references {
            shape.references.insert(
                "\(try reference.text("tbl"))(\(try reference.text("cols"))) -> \(try reference.text("target"))")
        }
        let indexes = try db.rows(
            SQLStatement(
                """
                SELECT indexname::text AS name, tablename::text AS tbl FROM pg_indexes
                WHERE schemaname = current_schema() AND indexname NOT LIKE '%\\_pkey'
                """))
        for index in indexes { shape.indexes.insert("\(try index.text("name")) on \(try index.text("tbl"))") }
        return shape
    }
}
