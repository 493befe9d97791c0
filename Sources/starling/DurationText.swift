import Foundation

/// Durations as operators type them: `90s`, `10m`, `1h`, `1.5h`, `30d`, or plain seconds.
enum DurationText {
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let last = trimmed.last, let unit = units[last] {
            guard let value = Double(trimmed.dropLast()), value >= 0, value.isFinite else { return nil }
            return value * unit
        }
        guard let value = Double(trimmed), value >= 0, value.isFinite else { return nil }
        return value
    }
}
