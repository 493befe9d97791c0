/// SQL text with `?` placeholders and the values bound to them, written once for both engines:
/// SQLite reads the `?`s as they are, PostgreSQL gets them numbered `$1`, `$2`, … in order.
public struct SQLStatement: Sendable, Equatable, ExpressibleByStringLiteral {
    public var text: String
    public var arguments: [SQLValue]

    public init(_ text: String, _ arguments: [SQLValue] = []) {
        self.text = text
        self.arguments = arguments
    }

    public init(stringLiteral text: String) {
        self.init(text)
    }

    /// The number of placeholders in the text (outside quoted strings, identifiers and comments).
    public var placeholderCount: Int {
        var count = 0
        _ = Self.rewritingPlaceholders(text) {
            count += 1; return "?"
        }
        return count
    }

    /// The text with each placeholder numbered as PostgreSQL reads them.
    public var numberedText: String {
        var number = 0
        return Self.rewritingPlaceholders(text) {
            number += 1
            return "$\(number)"
        }
    }

    /// `text` with every `?` outside single-quoted strings, double-quoted identifiers and `--`
    /// comments replaced by `replacement()`.
    private static func rewritingPlaceholders(_ text: String, _ replacement: () -> String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        var quote: Character?
        var inComment = false
        var previous: Character?
        for character in text {
            defer { previous = character }
            if inComment {
                if character == "\n" { inComment = false }
                result.append(character)
                continue
            }
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
                continue
            }
            switch character {
            case "'", "\"": quote = character
            case "-" where previous == "-": inComment = true
            case "?":
                result += replacement()
                continue
            default: break
            }
            result.append(character)
        }
        return result
    }
}
