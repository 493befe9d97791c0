import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The shared engine for several aggregator processes: one PostgreSQL database over postgres-nio.
///
/// Transaction bodies run on NIO's blocking thread pool, each on a connection of its own, and wait
/// there for each statement's result, never on an event loop or the concurrency pool. Reads run in
/// one `REPEATABLE READ, READ ONLY` snapshot, as SQLite's WAL readers do. Writes take a
/// transaction-level advisory lock first, so writes serialize across every process sharing the
/// database as they do in SQLite's single writer: a store's read-then-write logic needs no retry
/// loop. Connections that fail are dropped; every statement has the server's `statement_timeout`.
public final class PostgreSQLEngine: StorageEngine {
    public let dialect = SQLDialect.postgresql
    private let configuration: PostgresConnection.Configuration
    private let idle = Mutex<[PostgresConnection]>([])
    private let closed = Mutex(false)
    private let nextID = Mutex(0)
    let logger: Logger
    private let statementTimeout: Duration
    private let schema: String?

    /// The statements that begin a write: the transaction, then the write lock of this schema.
    private let writeBegin: [String]

    /// An engine for `url` (`postgres://user[:password]@host[:port]/database[?schema=name]`); connects
    /// lazily. `schema` (lower-case letters, digits and `_`) puts Starling's tables in a schema of
    /// their own, for a database shared with other applications.
    public init(url: String, statementTimeout: Duration = .seconds(30), logger: Logger? = nil) throws(StorageError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else {
            throw StorageError(
                .schema, "the database URL must read postgres://user[:password]@host[:port]/database[?schema=name]")
        }
        let schema = components.queryItems?.first { $0.name == "schema" }?.value
        if let schema {
            guard !schema.isEmpty, schema.count <= 63, schema.utf8.first.map({ !(48...57).contains($0) }) == true,
                schema.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 95 })
            else {
                throw StorageError(
                    .schema, "the schema must be 1 to 63 lower-case letters, digits and underscores, not a digit first")
            }
        }
        self.schema = schema
        writeBegin = ["BEGIN", "SELECT pg_advisory_xact_lock(\(Self.advisoryKey("write", schema: schema)))"]
        let database = String(components.path.drop { $0 == "/" })
        var configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? user : database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        self.configuration = configuration
        self.statementTimeout = statementTimeout
        self.logger = logger ?? Logger(label: "starling.storage.postgresql")
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await transaction(begin: Self.readBegin, body)
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await transaction(begin: writeBegin, body)
    }

    public func readBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try transactionBlocking(begin: Self.readBegin, body)
    }

    public func writeBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try transactionBlocking(begin: writeBegin, body)
    }

    private static let readBegin = ["BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"]

    /// The key of the advisory lock named `name` in this engine's schema. Advisory locks belong to
    /// the whole database: keys from the schema keep deployments in different schemas apart.
    public func advisoryKey(_ name: String) -> Int64 {
        Self.advisoryKey(name, schema: schema)
    }

    private static func advisoryKey(_ name: String, schema: String?) -> Int64 {
        // FNV-1a of "schema.name".
        let hash = "\(schema ?? "public").\(name)".utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) {
            ($0 ^ UInt64($1)) &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// An engine dropped without ``close()`` still closes its idle connections.
    deinit {
        for connection in idle.withLock({ $0 }) { discard(connection) }
    }

    public func close() async throws {
        closed.withLock { $0 = true }
        for connection in idle.withLock({ connections in
            defer { connections = [] }; return connections
        }) {
            try? await connection.close()
        }
    }

    /// Runs `body` after the `begin` statements and before COMMIT on a pooled connection on the
    /// blocking thread pool; ROLLBACK when it throws.
    private func transaction<T: Sendable>(
        begin: [String], _ body: @escaping @Sendable (any SQLConnection) throws -> T
    ) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try transactionBlocking(begin: begin, body)
        }
    }

    /// Runs `body` after the `begin` statements and before COMMIT on a pooled connection, on the
    /// calling thread; ROLLBACK when it throws.
    private func transactionBlocking<T>(begin: [String], _ body: (any SQLConnection) throws -> T) throws -> T {
        let connection = try begun(begin.first ?? "BEGIN")
        let statements = Connection(
            connection: connection, logger: logger,
            deadline: .nanoseconds(Int64((statementTimeout + .seconds(5)) / .nanoseconds(1))))
        do {
            for statement in begin.dropFirst() { try statements.simple(statement) }
            let result = try body(statements)
            try statements.simple("COMMIT")
            checkIn(connection)
            return result
        } catch {
            if (try? statements.simple("ROLLBACK")) != nil { checkIn(connection) } else { discard(connection) }
            throw error
        }
    }

    /// How long a transaction's first statement, `begin`, which the server answers at once, may go
    /// unanswered.
    private static let beginDeadline = TimeAmount.seconds(10)

    /// A connection with the transaction opened on it by `begin`. A pooled connection whose server
    /// went away may take no answer at all; one that does not answer in ``beginDeadline`` is
    /// dropped and a new connection is tried, since nothing has run on it yet: a server that is
    /// gone is then reported at once, not after the statement deadline.
    private func begun(_ begin: String) throws(StorageError) -> PostgresConnection {
        if closed.withLock({ $0 }) { throw StorageError(.unavailable, "the storage engine is closed") }
        if let pooled = idle.withLock({ $0.popLast() }), !pooled.isClosed, (try? open(pooled, begin)) != nil {
            return pooled
        }
        let connection: PostgresConnection
        do {
            connection = try connect(settings: []).wait()
        } catch {
            throw Self.storageError(error)
        }
        try open(connection, begin)
        return connection
    }

    /// Runs `begin` on `connection` within ``beginDeadline``; a connection that fails it is dropped.
    private func open(_ connection: PostgresConnection, _ begin: String) throws(StorageError) {
        do {
            try Connection(connection: connection, logger: logger, deadline: Self.beginDeadline).simple(begin)
        } catch {
            discard(connection)
            throw error
        }
    }

    /// A new connection with the statement timeout, the schema and `settings` (`name = value`) set.
    func connect(settings: [String]) -> EventLoopFuture<PostgresConnection> {
        let id = nextID.withLock { id in
            id += 1
            return id
        }
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let milliseconds =
            statementTimeout.components.seconds * 1000
            + statementTimeout.components.attoseconds / 1_000_000_000_000_000
        // Another process creating the schema at the same moment may make the first fail; SET then
        // finds it.
        let schemaStatements = schema.map { ["CREATE SCHEMA IF NOT EXISTS \($0)", "SET search_path TO \($0)"] } ?? []
        let statements =
            schemaStatements + ["SET statement_timeout = \(milliseconds)"] + settings.map { "SET \($0)" }
        let logger = logger
        return PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger)
            .flatMap { connection in
                var chain = loop.makeSucceededVoidFuture()
                for (index, statement) in statements.enumerated() {
                    chain = chain.flatMap {
                        let query = connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).map { _ in }
                        return index == 0 && statement.hasPrefix("CREATE SCHEMA") ? query.recover { _ in } : query
                    }
                }
                return chain.map { connection }.flatMapErrorThrowing { error in
                    self.discard(connection)
                    throw error
                }
            }
    }

    private func checkIn(_ connection: PostgresConnection) {
        guard !connection.isClosed, !closed.withLock({ $0 }) else { return discard(connection) }
        idle.withLock { $0.append(connection) }
    }

    private func discard(_ connection: PostgresConnection) {
        connection.closeWithoutWaiting()
    }

    /// A connection inside one transaction, waiting for each statement on the thread pool.
    private struct Connection: SQLConnection {
        let connection: PostgresConnection
        let logger: Logger
        /// How long a statement may go unanswered before the connection is given up: the server's
        /// statement timeout and a margin, for a connection the server is gone from without the
        /// socket saying so.
        let deadline: TimeAmount

        /// Runs one statement without placeholders.
        func simple(_ sql: String) throws(StorageError) {
            _ = try answer(connection.query(PostgresQuery(unsafeSQL: sql), logger: logger))
        }

        /// Waits for a statement's result until ``deadline``; past it the connection is closed.
        private func answer(_ result: EventLoopFuture<PostgresQueryResult>) throws(StorageError) -> PostgresQueryResult
        {
            let (connection, deadline) = (connection, deadline)
            let answered = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
            // Whichever comes first completes the promise, once.
            let once = Once()
            let expiry = connection.eventLoop.scheduleTask(in: deadline) {
                guard once.first() else { return }
                answered.fail(StorageError(.unavailable, "the database did not answer a statement in time"))
                connection.closeWithoutWaiting()
            }
            result.whenComplete { outcome in
                expiry.cancel()
                guard once.first() else { return }
                answered.completeWith(outcome)
            }
            do {
                return try answered.futureResult.wait()
            } catch {
                throw PostgreSQLEngine.storageError(error)
            }
        }

        func execute(_ statement: SQLStatement) throws(StorageError) -> Int {
            try run(statement).metadata.rows ?? 0
        }

        func rows(_ statement: SQLStatement) throws(StorageError) -> [SQLRow] {
            try run(statement).sqlRows()
        }

        private func run(_ statement: SQLStatement) throws(StorageError) -> PostgresQueryResult {
            let count = statement.placeholderCount
            guard count == statement.arguments.count else {
                throw StorageError(
                    .schema, "the statement has \(count) placeholders and \(statement.arguments.count) values")
            }
            var bindings = PostgresBindings(capacity: statement.arguments.count)
            for argument in statement.arguments {
                switch argument {
                case .null: bindings.appendNull()
                case .integer(let integer): bindings.append(integer)
                case .real(let real): bindings.append(real)
                case .text(let text): bindings.append(text)
                case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
                }
            }
            return try answer(
                connection.query(PostgresQuery(unsafeSQL: statement.numberedText, binds: bindings), logger: logger))
        }
    }

    static func storageError(_ error: any Error) -> StorageError {
        if let error = error as? StorageError { return error }
        guard let error = error as? PSQLError else { return StorageError(.unavailable, "\(error)") }
        guard let state = error.serverInfo?[.sqlState] else {
            return StorageError(.unavailable, "the database connection failed (\(error.code))")
        }
        let message = error.serverInfo?[.message] ?? "SQLSTATE \(state)"
        switch state.prefix(2) {
        case "23": return StorageError(.constraint, message)
        case "08", "53", "57": return StorageError(.unavailable, message)
        default: return StorageError(.schema, "\(message) (SQLSTATE \(state))")
        }
    }
}

/// True the first time it is asked, false ever after: for two callbacks of which only the first
/// may act.
private final class Once: Sendable {
    private let open = Atomic<Bool>(true)

    func first() -> Bool { open.exchange(false, ordering: .relaxed) }
}
