import Foundation

/// A record's columns in the order it encodes them: each property one column, `nil` as NULL
/// (an update must clear a column, not skip it), nested values as ``RecordColumnCoding`` keeps
/// them.
public struct RecordColumns: Sendable {
    public var names: [String]
    public var values: [SQLValue]

    public init<T: Encodable>(_ record: T) throws(StorageError) {
        let sink = ColumnSink()
        do {
            try record.encode(to: RowEncoder(sink: sink))
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.schema, "a \(T.self) could not be encoded as a row: \(error)")
        }
        names = sink.names
        values = sink.values
    }

    /// The value of `column`.
    public subscript(column: String) -> SQLValue? {
        names.firstIndex(of: column).map { values[$0] }
    }
}

/// Where the encoder collects columns; one encoding at a time on one thread.
private final class ColumnSink {
    var names: [String] = []
    var values: [SQLValue] = []

    func append(_ name: String, _ value: SQLValue) {
        names.append(name)
        values.append(value)
    }
}

private struct RowEncoder: Encoder {
    let sink: ColumnSink
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Columns(sink: sink))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        preconditionFailure("a stored record encodes as named columns")
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        preconditionFailure("a stored record encodes as named columns")
    }

    struct Columns<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let sink: ColumnSink
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil(forKey key: Key) throws { sink.append(key.stringValue, .null) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            sink.append(key.stringValue, try RecordColumnCoding.encode(value, column: key.stringValue))
        }

        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try present(value, key) }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            preconditionFailure("column \(key.stringValue) must encode as one value")
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            preconditionFailure("column \(key.stringValue) must encode as one value")
        }

        mutating func superEncoder() -> any Encoder { RowEncoder(sink: sink) }

        mutating func superEncoder(forKey key: Key) -> any Encoder { RowEncoder(sink: sink) }

        private mutating func present<T: Encodable>(_ value: T?, _ key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
    }
}
