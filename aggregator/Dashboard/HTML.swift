/// A fragment of HTML whose text parts were escaped when it was made.
///
/// Exists so the dashboard cannot show user input (device tags, model names, reasons) as markup:
/// a `String` interpolated into an `HTML` literal is always escaped, and only another `HTML` value
/// goes in as it is. There is no way to turn a `String` into markup without escaping it.
struct HTML: Sendable, ExpressibleByStringInterpolation, Equatable {
    /// The markup.
    private(set) var markup: String

    init(stringLiteral literal: String) { markup = literal }

    init(stringInterpolation interpolation: Interpolation) { markup = interpolation.markup }

    /// The fragments one after another.
    init(joining parts: some Sequence<HTML>) { markup = parts.map(\.markup).joined() }

    static let empty: HTML = ""

    /// Escapes the five characters that can end text or an attribute value: `& < > " '`.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Builds an ``HTML`` literal: literal segments are markup, interpolated text is escaped.
    struct Interpolation: StringInterpolationProtocol {
        var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) { markup.reserveCapacity(literalCapacity * 2) }

        mutating func appendLiteral(_ literal: String) { markup += literal }

        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }

        mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }

        mutating func appendInterpolation(_ value: some BinaryInteger) { markup += String(value) }
    }
}
