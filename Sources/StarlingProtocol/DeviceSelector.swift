/// Which devices a deployment or a round reaches: every device, or those carrying all of some tags.
public enum DeviceSelector: Hashable, Sendable, TextCodable {
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

}
