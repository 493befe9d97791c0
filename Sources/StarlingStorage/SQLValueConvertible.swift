import Foundation

/// A Swift value that binds to a statement as one ``SQLValue``, so stores pass their own values
/// (`String`, `Int`, `Date`, optionals…) without spelling out the value kind.
public protocol SQLValueConvertible: Sendable {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLValueConvertible {
    public var sqlValue: SQLValue { self }
}

extension String: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(self) }
}

extension Int: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int64: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Double: SQLValueConvertible {
    public var sqlValue: SQLValue { .real(self) }
}

/// Booleans are integers 0 and 1 in both engines, as SQLite keeps them.
extension Bool: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
}

/// Dates are UTC text `yyyy-MM-dd HH:mm:ss.SSS` in both engines (see ``SQLDate``).
extension Date: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(SQLDate.text(self)) }
}

extension Data: SQLValueConvertible {
    public var sqlValue: SQLValue { .blob([UInt8](self)) }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension SQLStatement {
    /// A statement whose `?` placeholders take `values` in order.
    public init(_ text: String, binding values: [any SQLValueConvertible]) {
        self.init(text, values.map(\.sqlValue))
    }

    /// `count` placeholders separated by commas, for an `IN (…)` list.
    public static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: max(count, 0)).joined(separator: ", ")
    }
}

extension SQLValue {
    /// `value` as a record keeps it in one column: a single string or number as itself, anything
    /// else as JSON text (see ``RecordColumns``); for statements that set such a column alone.
    public static func column(_ value: some Encodable, named name: String) throws(StorageError) -> SQLValue {
        try RecordColumnCoding.encode(value, column: name)
    }
}
