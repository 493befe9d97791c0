#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The JSON header of a safetensors file as written on disk (dtype still a string, offsets unchecked).
struct SafetensorsHeader: Codable {
    /// One tensor's header entry.
    struct Entry: Codable {
        var dtype: String
        var shape: [Int]
        var dataOffsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    static let metadataKey = "__metadata__"

    var tensors: [String: Entry]
    var metadata: [String: String]?

    init(tensors: [String: Entry], metadata: [String: String]?) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Any string key of the top-level object.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var tensors: [String: Entry] = [:]
        var metadata: [String: String]?
        for key in container.allKeys {
            if key.stringValue == Self.metadataKey {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                tensors[key.stringValue] = try container.decode(Entry.self, forKey: key)
            }
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        if let metadata { try container.encode(metadata, forKey: Key(Self.metadataKey)) }
        for (name, entry) in tensors { try container.encode(entry, forKey: Key(name)) }
    }

    /// Compact JSON with sorted keys, so equal headers give equal bytes.
    func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, integers and nested containers always encode.
        guard let data = try? encoder.encode(self) else { return Array("{}".utf8) }
        return Array(data)
    }

    /// Parses header bytes, turning decoder errors into one readable reason.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(SafetensorsError) -> SafetensorsHeader {
        do {
            return try JSONDecoder().decode(SafetensorsHeader.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidHeaderJSON(context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidHeaderJSON("'\(Self.path(context.codingPath))' has the wrong type")
        } catch let DecodingError.keyNotFound(key, context) {
            let owner = context.codingPath.isEmpty ? "header" : "'\(Self.path(context.codingPath))'"
            throw .invalidHeaderJSON("\(owner) has no '\(key.stringValue)' field")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .invalidHeaderJSON("'\(Self.path(context.codingPath))' is null")
        } catch {
            throw .invalidHeaderJSON(String(describing: error))
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
