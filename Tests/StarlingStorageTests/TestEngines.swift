import Foundation
import StarlingStorage

/// The engines a storage test runs against: SQLite on a new file in `directory`, and, when
/// `make test`'s throw-away server is up (STARLING_TEST_POSTGRES_URL), PostgreSQL in a schema of
/// its own, so tables of the same name in other tests never meet.
struct TestEngines {
    let engines: [any StorageEngine]
    private let schema: String?

    init(directory: URL) throws {
        var engines: [any StorageEngine] = [try SQLiteEngine(path: directory.appendingPathComponent("db.sqlite").path)]
        if let url = Self.postgresURL {
            let schema = "t_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
            engines.append(try PostgreSQLEngine(url: "\(url)?schema=\(schema)"))
            self.schema = schema
        } else {
            schema = nil
        }
        self.engines = engines
    }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["STARLING_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Closes every engine and drops the PostgreSQL schema.
    func close() async throws {
        for engine in engines { try await engine.close() }
        guard let schema, let url = Self.postgresURL else { return }
        let server = try PostgreSQLEngine(url: url)
        try await server.write { db in try db.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        try await server.close()
    }
}
