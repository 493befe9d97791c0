import Foundation
import GRDB

/// The embedded engine: one SQLite file in WAL mode through a GRDB pool (concurrent reads, one
/// writer, `synchronous = FULL` so a committed write survives power loss).
public final class SQLiteEngine: StorageEngine {
    public let dialect = SQLDialect.sqlite
    private let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`.
    public convenience init(path: String) throws(StorageError) {
        try self.init(path: path) { _ in }
    }

    /// Opens (creating if needed) the database at `path` and runs `prepare` on its pool before
    /// any transaction: the place for a schema history kept as GRDB migrations. A writer waits up
    /// to 5 s for another process's write to end.
    public init(path: String, prepare: (DatabasePool) throws -> Void) throws(StorageError) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        configuration.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try prepare(pool)
        } catch {
            throw Self.storageError(error)
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await pool.read { db in try body(Connection(db: db)) }
        } catch let error as DatabaseError {
            throw Self.storageError(error)
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await pool.write { db in try body(Connection(db: db)) }
        } catch let error as DatabaseError {
            throw Self.storageError(error)
        }
    }

    public func readBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try pool.read { db in try body(Connection(db: db)) }
        } catch let error as DatabaseError {
            throw Self.storageError(error)
        }
    }

    public func writeBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try pool.write { db in try body(Connection(db: db)) }
        } catch let error as DatabaseError {
            throw Self.storageError(error)
        }
    }

    public func close() async throws {
        do {
            try pool.close()
        } catch {
            throw Self.storageError(error)
        }
    }

    /// A GRDB connection inside one of the pool's transactions.
    private struct Connection: SQLConnection {
        let db: Database

        func execute(_ statement: SQLStatement) throws(StorageError) -> Int {
            do {
                try db.execute(sql: statement.text, arguments: Self.arguments(statement))
                return db.changesCount
            } catch {
                throw SQLiteEngine.storageError(error)
            }
        }

        func rows(_ statement: SQLStatement) throws(StorageError) -> [SQLRow] {
            do {
                return try Row.fetchAll(db, sql: statement.text, arguments: Self.arguments(statement)).map { row in
                    SQLRow(columns: Array(row.columnNames), values: row.databaseValues.map(Self.value))
                }
            } catch {
                throw SQLiteEngine.storageError(error)
            }
        }

        private static func arguments(_ statement: SQLStatement) -> StatementArguments {
            StatementArguments(
                statement.arguments.map { value -> (any DatabaseValueConvertible)? in
                    switch value {
                    case .null: nil
                    case .integer(let integer): integer
                    case .real(let real): real
                    case .text(let text): text
                    case .blob(let bytes): Data(bytes)
                    }
                })
        }

        private static func value(_ value: DatabaseValue) -> SQLValue {
            switch value.storage {
            case .null: .null
            case .int64(let integer): .integer(integer)
            case .double(let real): .real(real)
            case .string(let text): .text(text)
            case .blob(let data): .blob([UInt8](data))
            }
        }
    }

    static func storageError(_ error: any Error) -> StorageError {
        guard let error = error as? DatabaseError else { return StorageError(.unavailable, "\(error)") }
        let message = error.message ?? "\(error)"
        switch error.resultCode {
        case .SQLITE_CONSTRAINT: return StorageError(.constraint, message)
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_READONLY:
            return StorageError(.unavailable, message)
        default: return StorageError(.schema, message)
        }
    }
}
