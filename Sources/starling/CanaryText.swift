import ArgumentParser

/// Canary settings as operators type them, for `starling deploy` and retraining rules alike.
enum CanaryText {
    /// `--waves 5,25,100`: cumulative percentages.
    static func waves(_ text: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--waves is a comma-separated list of percentages, e.g. 5,25,100")
        }
        return values.compactMap { $0 }
    }

    /// `--bake 90s`, `10m`, `1h`: seconds.
    static func bake(_ text: String) throws -> Double {
        guard let seconds = DurationText.seconds(text) else {
            throw ValidationError("--bake is a duration such as 90s, 10m or 1h")
        }
        return seconds
    }
}
