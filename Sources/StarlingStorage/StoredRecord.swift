/// A row type of one table, read and written whole by ``SQLConnection``'s record methods: its
/// properties are the table's columns (see ``RecordColumns``).
public protocol StoredRecord: Codable, Sendable {
    /// The table the records live in.
    static var tableName: String { get }
    /// The columns of the primary key, in order.
    static var primaryKey: [String] { get }
    /// A key column the database numbers itself when the record's value is nil.
    static var generatedKey: String? { get }
}

extension StoredRecord {
    public static var generatedKey: String? { nil }
}

/// A name as SQL text: lower case and quoted, which both engines read as the column or table
/// declared unquoted (PostgreSQL folds those to lower case, SQLite ignores case), and which
/// keeps reserved words such as `window` usable.
func quotedIdentifier(_ name: String) -> String {
    "\"\(name.lowercased())\""
}

extension SQLConnection {
    /// Every record a query returns.
    public func fetchAll<T: Decodable>(
        _ type: T.Type, _ sql: String, _ arguments: any SQLValueConvertible...
    ) throws(StorageError) -> [T] {
        var records: [T] = []
        for row in try rows(SQLStatement(sql, binding: arguments)) { records.append(try row.decode(T.self)) }
        return records
    }

    /// The first record a query returns, if any.
    public func fetchOne<T: Decodable>(
        _ type: T.Type, _ sql: String, _ arguments: any SQLValueConvertible...
    ) throws(StorageError) -> T? {
        try row(SQLStatement(sql, binding: arguments)).map { row throws(StorageError) in try row.decode(T.self) }
    }

    /// The record with primary key `key` (one value per key column), if any.
    public func fetchOne<R: StoredRecord>(_ type: R.Type, key: any SQLValueConvertible...) throws(StorageError) -> R? {
        let statement = SQLStatement("SELECT * FROM \(R.tableName) WHERE \(Self.keyCondition(R.self))", binding: key)
        return try row(statement).map { row throws(StorageError) in try row.decode(R.self) }
    }

    /// Whether a record with primary key `key` (one value per key column) exists.
    public func exists<R: StoredRecord>(_ type: R.Type, key: any SQLValueConvertible...) throws(StorageError) -> Bool {
        try row(SQLStatement("SELECT 1 FROM \(R.tableName) WHERE \(Self.keyCondition(R.self))", binding: key)) != nil
    }

    /// Whether a query returns a row.
    public func exists(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> Bool {
        try row(SQLStatement(sql, binding: arguments)) != nil
    }

    /// The integer in the first column of a query's first row (a `COUNT(*)`), 0 without rows.
    public func integer(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> Int64 {
        guard let row = try row(SQLStatement(sql, binding: arguments)), let column = row.columns.first else { return 0 }
        return row.isNull(column) ? 0 : try row.integer(column)
    }

    /// Runs a statement with `arguments`; the number of rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> Int {
        try execute(SQLStatement(sql, binding: arguments))
    }

    /// Inserts `record`; a duplicate key is a ``StorageError/Kind/constraint`` error.
    public func insert<R: StoredRecord>(_ record: R) throws(StorageError) {
        try execute(Self.insertStatement(record, suffix: ""))
    }

    /// Inserts `record` and returns the key the database gave it (its ``StoredRecord/generatedKey``).
    public func insertReturningKey<R: StoredRecord>(_ record: R) throws(StorageError) -> Int64 {
        guard let key = R.generatedKey else {
            throw StorageError(.schema, "\(R.tableName) has no key the database generates")
        }
        guard let row = try row(Self.insertStatement(record, suffix: " RETURNING \(quotedIdentifier(key))")) else {
            throw StorageError(.schema, "inserting into \(R.tableName) returned no key")
        }
        return try row.integer(key)
    }

    /// Replaces the row with `record`'s key; throws when there is none.
    public func update<R: StoredRecord>(_ record: R) throws(StorageError) {
        let columns = try RecordColumns(record)
        let others = columns.names.indices.filter { !Self.isKey(columns.names[$0], of: R.self) }
        guard !others.isEmpty else { return }
        let assignments = others.map { "\(quotedIdentifier(columns.names[$0])) = ?" }.joined(separator: ", ")
        let statement = SQLStatement(
            "UPDATE \(R.tableName) SET \(assignments) WHERE \(Self.keyCondition(R.self))",
            others.map { columns.values[$0] } + (try Self.keyValues(columns, of: R.self)))
        guard try execute(statement) > 0 else {
            throw StorageError(.constraint, "\(R.tableName) has no row with the key of the record to update")
        }
    }

    /// Inserts `record`, or replaces the row that has its key.
    public func save<R: StoredRecord>(_ record: R) throws(StorageError) {
        let columns = try RecordColumns(record)
        let others = columns.names.filter { !Self.isKey($0, of: R.self) }
        let conflict = R.primaryKey.map(quotedIdentifier).joined(separator: ", ")
        let action =
            others.isEmpty
            ? "DO NOTHING"
            : "DO UPDATE SET "
                + others.map { "\(quotedIdentifier($0)) = excluded.\(quotedIdentifier($0))" }.joined(separator: ", ")
        try execute(Self.insertStatement(record, suffix: " ON CONFLICT (\(conflict)) \(action)"))
    }

    /// Deletes the record with primary key `key`; whether there was one.
    @discardableResult
    public func delete<R: StoredRecord>(_ type: R.Type, key: any SQLValueConvertible...) throws(StorageError) -> Bool {
        try execute(SQLStatement("DELETE FROM \(R.tableName) WHERE \(Self.keyCondition(R.self))", binding: key)) > 0
    }

    /// Runs `body` in a savepoint: when it throws, only its own statements are undone and the
    /// transaction goes on (in PostgreSQL too, whose transaction a failed statement would
    /// otherwise abort).
    public func inSavepoint<T>(_ body: () throws -> T) throws -> T {
        try execute(SQLStatement("SAVEPOINT starling_savepoint"))
        do {
            let result = try body()
            try execute(SQLStatement("RELEASE SAVEPOINT starling_savepoint"))
            return result
        } catch {
            try execute(SQLStatement("ROLLBACK TO SAVEPOINT starling_savepoint"))
            try execute(SQLStatement("RELEASE SAVEPOINT starling_savepoint"))
            throw error
        }
    }

    private static func insertStatement<R: StoredRecord>(_ record: R, suffix: String) throws(StorageError)
        -> SQLStatement
    {
        let columns = try RecordColumns(record)
        let kept = columns.names.indices.filter { index in
            !(columns.names[index] == R.generatedKey && columns.values[index] == .null)
        }
        let names = kept.map { quotedIdentifier(columns.names[$0]) }.joined(separator: ", ")
        return SQLStatement(
            "INSERT INTO \(R.tableName) (\(names)) VALUES (\(SQLStatement.placeholders(kept.count)))\(suffix)",
            kept.map { columns.values[$0] })
    }

    private static func keyCondition<R: StoredRecord>(_ type: R.Type) -> String {
        R.primaryKey.map { "\(quotedIdentifier($0)) = ?" }.joined(separator: " AND ")
    }

    private static func isKey<R: StoredRecord>(_ column: String, of type: R.Type) -> Bool {
        R.primaryKey.contains { $0.lowercased() == column.lowercased() }
    }

    private static func keyValues<R: StoredRecord>(_ columns: RecordColumns, of type: R.Type) throws(StorageError)
        -> [SQLValue]
    {
        var values: [SQLValue] = []
        for key in R.primaryKey {
            guard let value = columns[key] else { throw StorageError(.schema, "\(R.tableName) records have no \(key)") }
            values.append(value)
        }
        return values
    }
}
