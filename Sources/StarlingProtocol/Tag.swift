/// A device tag such as `zone=lab`, used to target deployments and round cohorts.
///
/// Tags travel as `key=value` strings so user text never becomes a JSON key. Because tags choose
/// cohorts and rollout targets, who sets them matters: operators give tags through the enrollment
/// token a device enrolls with; a device may only add tags about itself, under ``devicePrefix``
/// (`device.os=debian12`), which no operator tag can be mistaken for.
public struct Tag: Hashable, Sendable, TextCodable {
    /// The key prefix of the tags a device sets on itself.
    public static let devicePrefix = "device."

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

    /// Whether this is a tag a device may set on itself: its key starts with ``devicePrefix``.
    public var isDeviceReported: Bool { key.hasPrefix(Self.devicePrefix) && key.count > Self.devicePrefix.count }

    static func isValidPart(_ part: String) -> Bool {
        (1...64).contains(part.count)
            && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

/// A tag that is not of the form `key=value` with short plain keys and values.
public struct TagError: Error, CustomStringConvertible {
    public var text: String
    /// Shows `text` with its control characters escaped (`\0`, `\u{1B}`), so the sentence never
    /// carries them to a terminal or a log.
    public var description: String {
        "'\(ControlCharacters.escaped(text))' is not a tag: write key=value with letters, digits, '-', '_' or '.' (at most 64 each)"
    }
}
