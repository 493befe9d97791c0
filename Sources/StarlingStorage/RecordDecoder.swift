import Foundation

extension SQLRow {
    /// The row as a `Decodable` record whose properties are the row's columns (names compared
    /// without case); nested values are read as ``RecordColumnCoding`` keeps them.
    public func decode<T: Decodable>(_ type: T.Type) throws(StorageError) -> T {
        do {
            return try T(from: RowDecoder(row: self))
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.schema, "a row of \(columns) is not a \(T.self): \(error)")
        }
    }
}

/// Decodes one record from one row, a column per property.
private struct RowDecoder: Decoder {
    let row: SQLRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw StorageError(.schema, "a row decodes only into a record with named properties")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw StorageError(.schema, "a row decodes only into a record with named properties")
    }

    struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: SQLRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.columns.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { row.contains(key.stringValue) }

        func decodeNil(forKey key: Key) throws -> Bool { row.isNull(key.stringValue) }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
            try row.integer(key.stringValue) != 0
        }

        func decode(_ type: String.Type, forKey key: Key) throws -> String { try row.text(key.stringValue) }

        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try row.real(key.stringValue) }

        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try row.real(key.stringValue)) }

        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try row.integer(key.stringValue) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try RecordColumnCoding.decode(T.self, from: row[key.stringValue], column: key.stringValue)
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            throw StorageError(.schema, "column \(key.stringValue) is a value, not a nested record")
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw StorageError(.schema, "column \(key.stringValue) is a value, not a list")
        }

        func superDecoder() throws -> any Decoder { RowDecoder(row: row) }

        func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }

        private func integer<T: FixedWidthInteger>(_ key: Key) throws -> T {
            let value = try row.integer(key.stringValue)
            guard let exact = T(exactly: value) else {
                throw StorageError(.schema, "column \(key.stringValue) holds \(value), out of range for \(T.self)")
            }
            return exact
        }
    }
}
