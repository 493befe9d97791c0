/// Iterates the non-blank lines of CSV text with their 1-based line numbers, splitting fields.
///
/// Works on UTF-8 bytes so that CRLF (a single `Character` in Swift) is handled like LF and
/// large files split quickly.
struct CSVLines {
    /// One non-blank source line.
    struct Line {
        let number: Int
        let bytes: ArraySlice<UInt8>

        /// Fields split on commas outside double quotes, trimmed of spaces/tabs and of one pair of
        /// surrounding quotes (with `""` inside quotes unescaped to `"`).
        var fields: [String] {
            var result: [String] = []
            var start = bytes.startIndex
            var inQuotes = false
            var index = bytes.startIndex
            while index < bytes.endIndex {
                switch bytes[index] {
                case UInt8(ascii: "\""): inQuotes.toggle()
                case UInt8(ascii: ",") where !inQuotes:
                    result.append(Self.clean(bytes[start..<index]))
                    start = index + 1
                default: break
                }
                index += 1
            }
            result.append(Self.clean(bytes[start..<bytes.endIndex]))
            return result
        }

        private static func clean(_ raw: ArraySlice<UInt8>) -> String {
            var field = raw.trimmingSpaces()
            let quote = UInt8(ascii: "\"")
            if field.count >= 2, field.first == quote, field.last == quote {
                field = field.dropFirst().dropLast()
                let text = String(decoding: field, as: UTF8.self)
                return text.contains("\"\"") ? text.replacing("\"\"", with: "\"") : text
            }
            return String(decoding: field, as: UTF8.self)
        }
    }

    private let bytes: [UInt8]
    private var position = 0
    private var lineNumber = 0

    init(_ text: String) {
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.bytes = bytes
    }

    /// The next line that is not blank, or nil at the end of the text.
    mutating func next() -> Line? {
        while position < bytes.count {
            lineNumber += 1
            let start = position
            var end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            position = end + 1
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = bytes[start..<end]
            if !line.trimmingSpaces().isEmpty {
                return Line(number: lineNumber, bytes: line)
            }
        }
        return nil
    }
}

extension ArraySlice<UInt8> {
    /// Without leading and trailing spaces, tabs and carriage returns.
    func trimmingSpaces() -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex..<endIndex]
        }
        return self[first...last]
    }
}
