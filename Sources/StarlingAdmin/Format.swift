import Foundation

/// Number and time formatting shared by the command outputs.
public enum Format {
    /// `value` with `digits` decimals.
    public static func fixed(_ value: Double, digits: Int = 3) -> String {
        let scale = pow10(digits)
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }

    /// `value` with four significant digits, in scientific notation when very large or small.
    public static func compact(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        let magnitude = abs(value)
        if magnitude != 0, magnitude < 1e-3 || magnitude >= 1e6 {
            let exponent = Int(log10(magnitude).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            return fixed(mantissa, digits: 3) + "e\(exponent)"
        }
        let digits = magnitude >= 1000 ? 1 : magnitude >= 10 ? 2 : 4
        return fixed(value, digits: digits)
    }

    /// `date` in UTC to the second, ISO 8601.
    public static func timestamp(_ date: Date) -> String {
        date.ISO8601Format()
    }

    private static func pow10(_ digits: Int) -> Double {
        (0..<digits).reduce(1.0) { value, _ in value * 10 }
    }
}
