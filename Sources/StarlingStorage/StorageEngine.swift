/// A connection inside one transaction: the statements a transaction body runs.
public protocol SQLConnection {
    /// Runs a statement that returns no rows; the number of rows it changed.
    @discardableResult
    func execute(_ statement: SQLStatement) throws(StorageError) -> Int
    /// Runs a query and returns all of its rows.
    func rows(_ statement: SQLStatement) throws(StorageError) -> [SQLRow]
}

extension SQLConnection {
    /// The first row of a query, if any.
    public func row(_ statement: SQLStatement) throws(StorageError) -> SQLRow? {
        try rows(statement).first
    }
}

/// One SQL database the aggregator keeps its state in, behind one interface so that the same
/// stores, migrations and tests run on SQLite (the embedded default, one process) and PostgreSQL
/// (several aggregator processes sharing one database).
///
/// A transaction body is synchronous and runs off the concurrency pool (on GRDB's queues for
/// SQLite, on a thread of its own for PostgreSQL): the stores keep their straight-line transaction
/// code, and a body waiting on the network never holds one of the pool's few threads. A body that
/// throws rolls its transaction back; `write` bodies are serializable with respect to each other.
public protocol StorageEngine: Sendable {
    /// `sqlite` or `postgresql`, for migrations and messages.
    var dialect: SQLDialect { get }
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    /// ``read(_:)`` on the calling thread, which it blocks: for start-up, before anything is served.
    func readBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// ``write(_:)`` on the calling thread, which it blocks: for start-up, before anything is served.
    func writeBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Closes the engine's connections; later calls fail with ``StorageError/Kind/unavailable``.
    func close() async throws
}

/// The SQL a statement may need to differ in between engines (types, upserts); everything else is
/// written once.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgresql
}
