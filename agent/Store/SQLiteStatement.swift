import CSQLite

/// A prepared statement of a ``SQLiteConnection``, reusable with new arguments for each run.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Runs the statement to completion with `arguments`, ignoring any rows.
    func run(_ arguments: [SQLiteValue] = []) throws(SQLiteError) {
        try bind(arguments)
        while try step() {}
    }

    /// Every row the statement yields with `arguments`, each read by `read`.
    func rows<T>(_ arguments: [SQLiteValue] = [], _ read: (SQLiteRow) -> T) throws(SQLiteError) -> [T] {
        try bind(arguments)
        var rows: [T] = []
        while try step() {
            rows.append(read(SQLiteRow(handle: handle)))
        }
        return rows
    }

    private func bind(_ arguments: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            switch argument {
            case .integer(let value):
                try connection.check(sqlite3_bind_int64(handle, index, value))
            case .real(let value):
                try connection.check(sqlite3_bind_double(handle, index, value))
            case .text(let value):
                try connection.check(sqlite3_bind_text(handle, index, value, -1, Self.transient))
            case .blob(let value) where value.isEmpty:
                try connection.check(sqlite3_bind_zeroblob(handle, index, 0))
            case .blob(let value):
                let code = value.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient)
                }
                try connection.check(code)
            case .null:
                try connection.check(sqlite3_bind_null(handle, index))
            }
        }
    }

    /// Advances to the next row; false once the statement is done.
    private func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        try connection.check(code)
        return code == SQLITE_ROW
    }

    /// SQLite copies the bound bytes before the bind call returns (`SQLITE_TRANSIENT`).
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    }
}

/// The current row of a stepping ``SQLiteStatement``; valid only inside the `rows` reader.
struct SQLiteRow {
    fileprivate let handle: OpaquePointer

    func integer(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func real(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    /// The column's text, nil when it is NULL.
    func text(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: text)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
