import Foundation
import GRDB
import ServiceLifecycle
import StarlingStorage
import StarlingTransport

/// The aggregator's database with its schema migrated on open: an SQLite file (the embedded
/// default; WAL, `synchronous = FULL` so a committed transaction survives a crash).
///
/// - Important: run it as the first service of the group so it is shut down last; `run()` waits for
///   graceful shutdown and then closes the engine.
final class Storage: Service, Sendable {
    /// The engine every component reads and writes through.
    let engine: any StorageEngine
    /// The same SQLite database through GRDB, for the parts not yet on ``engine``.
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`, its files mode 0600, and applies every
    /// migration.
    init(path: String) throws {
        try PrivateFiles.database(URL(fileURLWithPath: path))
        var opened: DatabasePool?
        engine = try SQLiteEngine(path: path) { pool in
            try Migrations.migrator.migrate(pool)
            opened = pool
        }
        guard let opened else { throw StorageError(.unavailable, "the database at \(path) did not open") }
        pool = opened
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await engine.close()
    }
}
