/// A value bound to or read from SQL, in the five kinds both storage engines keep the same way
/// (SQLite's storage classes; PostgreSQL's `bigint`, `double precision`, `text` and `bytea`).
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}
