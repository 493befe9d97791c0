/// One row a query returned: its column names and values, read by name with the type the caller
/// expects and a ``StorageError`` that names the column when the value is not of that type.
public struct SQLRow: Sendable, Equatable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        precondition(columns.count == values.count, "one value per column")
        self.columns = columns
        self.values = values
    }

    /// The value of `column`, or `.null` when the row has no such column. Column names compare
    /// without case: PostgreSQL folds unquoted names to lower case, SQLite keeps them as declared.
    public subscript(column: String) -> SQLValue {
        guard let index = index(of: column) else { return .null }
        return values[index]
    }

    /// Whether the row has `column`.
    public func contains(_ column: String) -> Bool { index(of: column) != nil }

    private func index(of column: String) -> Int? {
        if let index = columns.firstIndex(of: column) { return index }
        let lowered = column.lowercased()
        return columns.firstIndex { $0.lowercased() == lowered }
    }

    public func integer(_ column: String) throws(StorageError) -> Int64 {
        guard case .integer(let value) = try present(column) else { throw mismatch(column, "an integer") }
        return value
    }

    /// A real column, or an integer one read as a real.
    public func real(_ column: String) throws(StorageError) -> Double {
        switch try present(column) {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: throw mismatch(column, "a number")
        }
    }

    public func text(_ column: String) throws(StorageError) -> String {
        guard case .text(let value) = try present(column) else { throw mismatch(column, "text") }
        return value
    }

    public func blob(_ column: String) throws(StorageError) -> [UInt8] {
        guard case .blob(let value) = try present(column) else { throw mismatch(column, "bytes") }
        return value
    }

    /// Whether `column` is NULL (or absent).
    public func isNull(_ column: String) -> Bool { self[column] == .null }

    private func present(_ column: String) throws(StorageError) -> SQLValue {
        guard let index = index(of: column) else {
            throw StorageError(.schema, "the result has no column \(column)")
        }
        return values[index]
    }

    private func mismatch(_ column: String, _ expected: String) -> StorageError {
        StorageError(.schema, "column \(column) holds \(self[column]), not \(expected)")
    }
}
