import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection of its own, outside the engine's pool, for what lives as long as a
/// session: advisory locks held across transactions (leader election), `LISTEN` for notifications
/// other processes send, and `NOTIFY`.
///
/// The server ends the session, and with it its locks, when the connection closes (the process
/// died) or, with an idle timeout, when nothing was sent on it for that long (the process stalled).
public final class PostgreSQLSession: Sendable {
    private let connection: PostgresConnection
    private let logger: Logger
    /// How long one statement may wait for the server.
    private let deadline: TimeAmount

    init(connection: PostgresConnection, logger: Logger, deadline: TimeAmount = .seconds(10)) {
        self.connection = connection
        self.logger = logger
        self.deadline = deadline
    }

    /// Whether the connection is closed; a closed session holds no lock any more.
    public var isClosed: Bool { connection.isClosed }

    /// Takes the session-level advisory lock `key` if no other session holds it; whether it did.
    public func tryLock(_ key: Int64) async throws(StorageError) -> Bool {
        try Self.taken(try await query("SELECT pg_try_advisory_lock(\(key)) AS taken"))
    }

    /// What `pg_try_advisory_lock` answered.
    private static func taken(_ rows: [SQLRow]) throws(StorageError) -> Bool {
        guard let row = rows.first else { throw StorageError(.schema, "pg_try_advisory_lock answered no row") }
        return try row.integer("taken") != 0
    }

    /// ``tryLock(_:)`` on the calling thread, which it blocks: for start-up.
    public func tryLockBlocking(_ key: Int64) throws(StorageError) -> Bool {
        guard !connection.isClosed else { throw StorageError(.unavailable, "the database session has ended") }
        let result: PostgresQueryResult
        do {
            result = try connection.query("SELECT pg_try_advisory_lock(\(key)) AS taken", logger: logger).wait()
        } catch {
            throw PostgreSQLEngine.storageError(error)
        }
        return try Self.taken(result.sqlRows())
    }

    /// Sends one statement, so the server sees the session alive.
    public func ping() async throws(StorageError) {
        _ = try await query("SELECT 1 AS alive")
    }

    /// Sends `payload` to every session listening on `channel`.
    public func notify(_ channel: String, payload: String) async throws(StorageError) {
        _ = try await query("SELECT true AS sent FROM pg_notify(\(channel), \(payload))")
    }

    /// Listens on `channel`: calls `started` once the server listens, then hands each notification's
    /// payload to `receive` until the session ends (which throws) or the task is cancelled (which
    /// closes the session).
    public func listen(
        _ channel: String, started: () async -> Void, receive: (String) async -> Void
    ) async throws(StorageError) {
        let connection = connection
        do {
            try await withTaskCancellationHandler {
                try await connection.listen(on: channel) { notifications in
                    await started()
                    for try await notification in notifications { await receive(notification.payload) }
                }
            } onCancel: {
                connection.closeWithoutWaiting()
            }
        } catch {
            throw PostgreSQLEngine.storageError(error)
        }
    }

    /// Closes the connection, releasing the session's locks.
    public func close() async {
        guard !connection.isClosed else { return }
        try? await connection.close()
    }

    /// Runs one statement. A session whose connection has ended, or whose server does not answer
    /// within ``deadline``, fails with ``StorageError/Kind/unavailable`` (and is closed): the caller
    /// learns the session, and any lock it held, is gone.
    private func query(_ query: PostgresQuery) async throws(StorageError) -> [SQLRow] {
        guard !connection.isClosed else { throw StorageError(.unavailable, "the database session has ended") }
        let connection = connection
        let loop = connection.eventLoop
        let answer = loop.makePromise(of: PostgresQueryResult.self)
        let deadline = deadline
        let expiry = loop.scheduleTask(in: deadline) {
            answer.fail(StorageError(.unavailable, "the database did not answer the session within \(deadline)"))
            connection.closeWithoutWaiting()
        }
        connection.query(query, logger: logger).whenComplete { result in
            expiry.cancel()
            answer.completeWith(result)
        }
        let result: PostgresQueryResult
        do {
            result = try await answer.futureResult.get()
        } catch {
            throw PostgreSQLEngine.storageError(error)
        }
        return try result.sqlRows()
    }
}

extension PostgreSQLEngine {
    /// Opens a session of its own on the engine's database (and schema). With `idleTimeout`, the
    /// server ends the session when the process sends nothing on it for that long: call
    /// ``PostgreSQLSession/ping()`` more often than that.
    public func openSession(idleTimeout: Duration? = nil) async throws(StorageError) -> PostgreSQLSession {
        do {
            return PostgreSQLSession(
                connection: try await connect(settings: Self.sessionSettings(idleTimeout)).get(), logger: logger)
        } catch {
            throw Self.storageError(error)
        }
    }

    /// ``openSession(idleTimeout:)`` on the calling thread, which it blocks: for start-up.
    public func openSessionBlocking(idleTimeout: Duration? = nil) throws(StorageError) -> PostgreSQLSession {
        do {
            return PostgreSQLSession(
                connection: try connect(settings: Self.sessionSettings(idleTimeout)).wait(), logger: logger)
        } catch {
            throw Self.storageError(error)
        }
    }

    private static func sessionSettings(_ idleTimeout: Duration?) -> [String] {
        guard let idleTimeout else { return [] }
        let milliseconds =
            idleTimeout.components.seconds * 1000 + idleTimeout.components.attoseconds / 1_000_000_000_000_000
        return ["idle_session_timeout = \(max(1, milliseconds))"]
    }
}
