/// Refuses names and references that hold a control character.
///
/// Exists because such text reaches SQLite, which reads a bound string up to its first NUL (so
/// `"m\u{0}garbage"` would be stored, and looked up, as `"m"`), and terminals, which act on control
/// characters. Every name the admin API creates or looks up is checked with it.
enum ControlCharacters {
    /// The first C0 control (U+0000–U+001F) or DEL (U+007F) in `text` as "U+0000 at character 2",
    /// or nil when there is none.
    static func first(in text: String) -> String? {
        for (offset, scalar) in text.unicodeScalars.enumerated() where scalar.value < 0x20 || scalar.value == 0x7F {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+\(String(repeating: "0", count: 4 - hex.count))\(hex) at character \(offset + 1)"
        }
        return nil
    }

    /// 400 `code` when `text`, described as `what` ("a model name"), holds a control character.
    static func refuse(in text: String, code: String, naming what: String) throws(APIError) {
        if let found = first(in: text) {
            throw .badRequest(code, "\(what) may not contain control characters, and this one has \(found)")
        }
    }
}
