import StarlingStorage

/// A value stored as one column of a record, as the storage engines keep it, and read back.
struct StoredColumn<Value: Codable>: Codable {
    var value: Value

    static func roundTrip(_ value: Value) throws -> Value {
        let columns = try RecordColumns(StoredColumn(value: value))
        return try SQLRow(columns: columns.names, values: columns.values).decode(StoredColumn.self).value
    }
}
