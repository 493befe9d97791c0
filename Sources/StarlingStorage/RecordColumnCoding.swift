import Foundation

/// How a record's property that is not a plain column value (a nested struct, an array, an enum)
/// is kept: a value that encodes as a single string or number is stored as that value, anything
/// else as JSON text with sorted keys, dates in milliseconds and data in base64 (the format
/// existing SQLite databases hold).
enum RecordColumnCoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dataEncodingStrategy = .base64
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.nonConformingFloatEncodingStrategy = .throw
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dataDecodingStrategy = .base64
        decoder.dateDecodingStrategy = .millisecondsSince1970
        decoder.nonConformingFloatDecodingStrategy = .throw
        return decoder
    }

    /// The column value of `value`.
    static func encode<T: Encodable>(_ value: T, column: String) throws(StorageError) -> SQLValue {
        switch value {
        case let date as Date: return date.sqlValue
        case let data as Data: return data.sqlValue
        case let convertible as any SQLValueConvertible: return convertible.sqlValue
        default: break
        }
        let json: Data
        do {
            json = try encoder().encode(value)
        } catch {
            throw StorageError(.schema, "column \(column) could not be encoded: \(error)")
        }
        let text = String(decoding: json, as: UTF8.self)
        switch text {
        case "null": return .null
        case "true": return .integer(1)
        case "false": return .integer(0)
        default: break
        }
        if text.hasPrefix("\""), let string = try? decoder().decode(String.self, from: json) { return .text(string) }
        if let integer = Int64(text) { return .integer(integer) }
        if let real = Double(text) { return .real(real) }
        return .text(text)
    }

    /// `T` from the column value `value`.
    static func decode<T: Decodable>(_ type: T.Type, from value: SQLValue, column: String) throws(StorageError) -> T {
        if T.self == Date.self {
            switch value {
            case .text(let text):
                if let date = SQLDate.date(text) as? T { return date }
            case .integer(let seconds):
                if let date = Date(timeIntervalSince1970: Double(seconds)) as? T { return date }
            case .real(let seconds):
                if let date = Date(timeIntervalSince1970: seconds) as? T { return date }
            default: break
            }
            throw StorageError(.schema, "column \(column) holds \(value), not a date")
        }
        if T.self == Data.self, case .blob(let bytes) = value, let data = Data(bytes) as? T { return data }
        let json: Data
        switch value {
        case .text(let text):
            let trimmed = text.first
            if trimmed == "{" || trimmed == "[", let decoded = try? decoder().decode(T.self, from: Data(text.utf8)) {
                return decoded
            }
            guard let quoted = try? encoder().encode(text) else {
                throw StorageError(.schema, "column \(column) holds text that cannot be read")
            }
            json = quoted
        case .integer(let integer): json = Data(String(integer).utf8)
        case .real(let real): json = Data("\(real)".utf8)
        case .null: json = Data("null".utf8)
        case .blob: throw StorageError(.schema, "column \(column) holds bytes, not \(T.self)")
        }
        do {
            return try decoder().decode(T.self, from: json)
        } catch {
            throw StorageError(.schema, "column \(column) holds \(value), not \(T.self): \(error)")
        }
    }
}
