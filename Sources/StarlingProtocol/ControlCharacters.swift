/// Finds and escapes control characters in text that came from a request or a device.
///
/// Exists because such text reaches SQLite, which reads a bound string up to its first NUL (so
/// `"m\u{0}garbage"` would be stored, and looked up, as `"m"`), and terminals, which act on control
/// characters (an ANSI escape in a device's report could rewrite an operator's screen). Servers
/// refuse names and labels that hold one; the CLI escapes what it prints.
public enum ControlCharacters {
    /// The first C0 control (U+0000–U+001F), DEL (U+007F) or C1 control (U+0080–U+009F) in `text`
    /// as "U+0000 at character 2", or nil when there is none.
    public static func first(in text: String) -> String? {
        for (offset, scalar) in text.unicodeScalars.enumerated() where isControl(scalar) {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+\(String(repeating: "0", count: 4 - hex.count))\(hex) at character \(offset + 1)"
        }
        return nil
    }

    /// `text` with every control character written as a Swift escape (`\0`, `\u{1B}`), so that
    /// printing it never hands a terminal a control sequence.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return text.unicodeScalars.map { isControl($0) ? $0.escaped(asASCII: true) : String($0) }.joined()
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
