import Foundation
import GRDB
import ServiceLifecycle
import StarlingTransport

/// The aggregator's SQLite database (GRDB `DatabasePool`, WAL, `synchronous = FULL` so a committed
/// transaction survives a crash) with its schema migrated on open.
///
/// - Important: run it as the first service of the group so it is shut down last; `run()` waits for
///   graceful shutdown and then closes the pool.
final class Storage: Service, Sendable {
    /// The pool every component reads and writes through.
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`, its files mode 0600, and applies every
    /// migration.
    init(path: String) throws {
        try PrivateFiles.database(URL(fileURLWithPath: path))
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: configuration)
        try Migrations.migrator.migrate(pool)
    }

    func run() async throws {
        try? await gracefulShutdown()
        try pool.close()
    }
}
