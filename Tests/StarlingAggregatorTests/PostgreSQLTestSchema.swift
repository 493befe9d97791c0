import Foundation
import StarlingStorage
import XCTest

/// A schema of its own on `make test`'s PostgreSQL server for one test; skips the test without one.
struct PostgreSQLTestSchema {
    let url: String
    private let server: String
    private let schema: String

    init() throws {
        guard let server = Self.server else {
            throw XCTSkip("no PostgreSQL server: run through `make test` (STARLING_TEST_POSTGRES_URL)")
        }
        self.server = server
        schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        url = "\(server)?schema=\(schema)"
    }

    private static var server: String? {
        ProcessInfo.processInfo.environment["STARLING_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The database of an in-process aggregator whose data folder is `folder`: nil (SQLite in the
    /// folder) unless STARLING_TEST_DATABASE is `postgresql`, then a schema named after the folder,
    /// so an aggregator restarted on the same folder finds its data again.
    static func forAggregator(in folder: URL) throws -> String? {
        guard ProcessInfo.processInfo.environment["STARLING_TEST_DATABASE"] == "postgresql" else { return nil }
        guard let server else {
            throw XCTSkip("STARLING_TEST_DATABASE=postgresql needs STARLING_TEST_POSTGRES_URL (make test sets both)")
        }
        let name = folder.lastPathComponent.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }
        return "\(server)?schema=t_\(String(name.suffix(56)))"
    }

    func drop() async throws {
        let engine = try PostgreSQLEngine(url: server)
        try await engine.write { [schema] db in try db.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        try await engine.close()
    }
}
