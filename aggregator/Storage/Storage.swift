import Foundation
import GRDB
import ServiceLifecycle
import StarlingStorage
import StarlingTransport

/// The aggregator's database with its schema migrated on open: an SQLite file in the data folder
/// (the embedded default; WAL, `synchronous = FULL` so a committed transaction survives a crash),
/// or a PostgreSQL database that several aggregator processes share.
///
/// - Important: run it as the first service of the group so it is shut down last; `run()` waits for
///   graceful shutdown and then closes the engine.
final class Storage: Service, Sendable {
    /// The engine every component reads and writes through.
    let engine: any StorageEngine

    /// Opens (creating if needed) the SQLite database at `path`, its files mode 0600, and applies
    /// every migration.
    init(path: String) throws {
        try PrivateFiles.database(URL(fileURLWithPath: path))
        engine = try SQLiteEngine(path: path) { pool in try Migrations.migrator.migrate(pool) }
    }

    /// Connects to the PostgreSQL database at `url` and applies every migration it lacks.
    init(postgresURL url: String) throws {
        let engine = try PostgreSQLEngine(url: url)
        try engine.writeBlocking { db in try PostgreSQLSchema.migrate(db) }
        self.engine = engine
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await engine.close()
    }
}
