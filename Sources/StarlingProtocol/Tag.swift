/// A device tag such as `zone=lab`, used to target deployments and round cohorts.
///
/// Tags travel as `key=value` strings so user text never becomes a JSON key.
public struct Tag: Hashable, Sendable, Codable, CustomStringConvertible {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Parses `key=value`; keys and values are 1–64 characters of letters, digits, `-`, `_` and `.`.
    public init(parsing text: String) throws(TagError) {
        guard let equals = text.firstIndex(of: "=") else { throw TagError(text: text) }
        let key = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        guard Tag.isValidPart(key), Tag.isValidPart(value) else { throw TagError(text: text) }
        self.init(key: key, value: value)
    }

    public var description: String { "\(key)=\(value)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try Tag(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isValidPart(_ part: String) -> Bool {
        (1...64).contains(part.count)
            && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

/// A tag that is not of the form `key=value` with short plain keys and values.
public struct TagError: Error, CustomStringConvertible {
    public var text: String
    public var description: String {
        "'\(text)' is not a tag: write key=value with letters, digits, '-', '_' or '.' (at most 64 each)"
    }
}

/// Which devices a deployment or a round reaches: every device, or those carrying all of some tags.
public enum DeviceSelector: Hashable, Sendable, Codable, CustomStringConvertible {
    case all
    case tags([Tag])

    /// Parses `all` or a comma-separated list of `key=value` tags.
    public init(parsing text: String) throws(TagError) {
        if text == "all" {
            self = .all
            return
        }
        var tags: [Tag] = []
        for part in text.split(separator: ",") {
            tags.append(try Tag(parsing: String(part)))
        }
        guard !tags.isEmpty else { throw TagError(text: text) }
        self = .tags(tags)
    }

    /// Whether a device with these tags is selected.
    public func matches(_ deviceTags: [Tag]) -> Bool {
        switch self {
        case .all: return true
        case .tags(let wanted): return wanted.allSatisfy(deviceTags.contains)
        }
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case .tags(let tags): return tags.map(\.description).joined(separator: ",")
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try DeviceSelector(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
