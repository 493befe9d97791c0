/// The YAML a daemon's configuration file is written in: a flat mapping of option names to a
/// scalar (plain, 'single' or "double" quoted), `true` / `false`, or a list of scalars (`[a, b]`
/// or one `- item` per line under the key); comments, blank lines and a leading `---`. Anything
/// else YAML allows (nested mappings, anchors, multi-line scalars, several documents) is refused
/// naming its line, since no option takes it.
///
/// Read without a YAML library so the agent links no Foundation or ICU (a YAML library brings both),
/// which keeps its resident memory within budget.
struct OptionsDocument {
    /// One option's value.
    enum Value: Equatable {
        case scalar(String)
        case flag(Bool)
        case list([String])
    }

    /// The options in the file's order.
    private(set) var entries: [(key: String, value: Value)] = []

    init(parsing text: String) throws(ConfigurationFile.Problem) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }.enumerated().makeIterator()
        var pendingList: (key: String, items: [String])?
        var seenContent = false
        while let (index, raw) = lines.next() {
            let number = index + 1
            let line = try Self.strippingComment(raw, line: number)
            guard !line.allSatisfy({ $0 == " " || $0 == "\t" }) else { continue }
            if !seenContent, line.trimmingTrailingSpaces() == "---" {
                seenContent = true
                continue
            }
            seenContent = true
            let indented = line.first == " " || line.first == "\t"
            let content = line.drop { $0 == " " || $0 == "\t" }.trimmingTrailingSpaces()
            if indented || content.hasPrefix("- ") || content == "-" {
                guard var list = pendingList, content.hasPrefix("- ") || content == "-" else {
                    throw Self.problem(
                        number, "is not an option of its own; the configuration is one level of `option: value`")
                }
                if content.hasPrefix("- ") {
                    list.items.append(try Self.scalar(content.dropFirst(2), line: number))
                } else {
                    throw Self.problem(number, "is a list item with no value")
                }
                pendingList = list
                continue
            }
            if let list = pendingList {
                try append(list.key, list.items.isEmpty ? nil : .list(list.items), line: number)
                pendingList = nil
            }
            guard let colon = Self.keySeparator(in: content) else {
                throw Self.problem(number, "is not `option: value`")
            }
            let key = String(content[..<colon])
            let rest = content[content.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            if rest.isEmpty {
                pendingList = (key, [])
                continue
            }
            try append(key, try Self.value(Substring(rest), line: number), line: number)
        }
        if let list = pendingList {
            try append(list.key, list.items.isEmpty ? nil : .list(list.items), line: 0)
        }
    }

    private mutating func append(_ key: String, _ value: Value?, line: Int) throws(ConfigurationFile.Problem) {
        guard !entries.contains(where: { $0.key == key }) else {
            throw ConfigurationFile.Problem(description: "the option '\(key.prefix(64))' is given twice")
        }
        guard let value else { return }
        entries.append((key, value))
    }

    /// A value after `key:`: a flow list, a nested mapping (refused), true/false, null, or a scalar.
    private static func value(_ text: Substring, line: Int) throws(ConfigurationFile.Problem) -> Value? {
        if text.hasPrefix("{") { throw problem(line, "holds a mapping; an option takes a scalar or a list") }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw problem(line, "opens a list it does not close on the same line") }
            let inner = text.dropFirst().dropLast()
            guard !inner.allSatisfy({ $0 == " " }) else { return .list([]) }
            var items: [String] = []
            for item in try splitFlowItems(inner, line: line) {
                items.append(try scalar(item.drop { $0 == " " }.trimmingTrailingSpaces(), line: line))
            }
            return .list(items)
        }
        switch text {
        case "true", "True", "TRUE": return .flag(true)
        case "false", "False", "FALSE": return .flag(false)
        case "null", "Null", "NULL", "~": return nil
        default: return .scalar(try scalar(text, line: line))
        }
    }

    /// A plain, 'single' or "double" quoted scalar.
    private static func scalar(_ text: Substring, line: Int) throws(ConfigurationFile.Problem) -> String {
        if text.hasPrefix("\"") {
            var result = ""
            var escaped = false
            var closed = false
            for character in text.dropFirst() {
                if closed { throw problem(line, "has text after a double-quoted value") }
                if escaped {
                    switch character {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "\"", "\\", "/": result.append(character)
                    default: throw problem(line, "has an escape, \\\(character), that options do not take")
                    }
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    closed = true
                } else {
                    result.append(character)
                }
            }
            guard closed else { throw problem(line, "has a double-quoted value it does not close") }
            return result
        }
        if text.hasPrefix("'") {
            guard text.count >= 2, text.hasSuffix("'") else {
                throw problem(line, "has a single-quoted value it does not close")
            }
            return String(text.dropFirst().dropLast()).replacing("''", with: "'")
        }
        guard let first = text.first, !"[]{}&*!|>%@`".contains(first) else {
            throw problem(line, "has a value YAML reads as more than text; quote it")
        }
        return String(text)
    }

    /// The items of a flow list's inside, split at commas outside quotes.
    private static func splitFlowItems(_ text: Substring, line: Int) throws(ConfigurationFile.Problem) -> [Substring] {
        var items: [Substring] = []
        var start = text.startIndex
        var quote: Character?
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "[" || character == "{" {
                throw problem(line, "nests a list or mapping in a list; an option's list holds scalars")
            } else if character == "," {
                items.append(text[start..<index])
                start = text.index(after: index)
            }
        }
        guard quote == nil else { throw problem(line, "has a quoted list item it does not close") }
        items.append(text[start...])
        return items
    }

    /// The line without a comment: `#` at its start or after a space, outside quotes.
    private static func strippingComment(_ line: Substring, line number: Int) throws(ConfigurationFile.Problem)
        -> Substring
    {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'",
                previous == " " || previous == "[" || previous == ","
                    || previous == ":" || previous == "-"
            {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return line[..<index]
            } else if character == "\t", line[..<index].allSatisfy({ $0 == " " || $0 == "\t" }) {
                throw problem(number, "is indented with a tab, which YAML does not allow")
            }
            previous = character
        }
        return line
    }

    /// Where `key: ` ends: the first colon followed by a space or the end of the line.
    private static func keySeparator(in content: Substring) -> Substring.Index? {
        var index = content.startIndex
        while index < content.endIndex {
            if content[index] == ":" {
                let next = content.index(after: index)
                if next == content.endIndex || content[next] == " " || content[next] == "\t" { return index }
            }
            index = content.index(after: index)
        }
        return nil
    }

    private static func problem(_ line: Int, _ reason: String) -> ConfigurationFile.Problem {
        ConfigurationFile.Problem(description: "line \(line) of the configuration \(reason)")
    }
}

extension Substring {
    /// The text without trailing spaces and tabs.
    fileprivate func trimmingTrailingSpaces() -> Substring {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " || self[index(before: end)] == "\t" {
            end = index(before: end)
        }
        return self[startIndex..<end]
    }
}
