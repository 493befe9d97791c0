/// The samples of a Prometheus text exposition, for what reads a scrape: tests that check what it
/// shows, and `starling simulate`, which reports each round's stage times and requests from it.
public struct PrometheusSamples: Sendable {
    /// One line `name{label="value",…} number`.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public let samples: [Sample]
    /// Each family's type from its `# TYPE` line, by family name.
    public let types: [String: String]

    /// Parses every sample and `# TYPE` line of `text`; other lines are skipped.
    public init(_ text: String) {
        let lines = text.split(separator: "\n")
        samples = lines.compactMap { line in line.hasPrefix("#") ? nil : Self.parse(line) }
        var types: [String: String] = [:]
        for line in lines where line.hasPrefix("# TYPE ") {
            let words = line.split(separator: " ")
            if words.count == 4 { types[String(words[2])] = String(words[3]) }
        }
        self.types = types
    }

    /// The sum of the samples named `name` whose labels include `labels`; nil when there is none.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    /// Every value label `label` takes in the samples named `name`.
    public func labelValues(_ name: String, _ label: String) -> Set<String> {
        Set(samples.filter { $0.name == name }.compactMap { $0.labels[label] })
    }

    private static func parse(_ line: Substring) -> Sample? {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            return Sample(name: String(series), labels: [:], value: value)
        }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)...].dropLast()  // the closing brace
        while let equals = rest.firstIndex(of: "=") {
            let key = String(rest[..<equals])
            var text = ""
            var index = rest.index(equals, offsetBy: 2)  // past `="`
            while index < rest.endIndex, rest[index] != "\"" {
                if rest[index] == "\\" { index = rest.index(after: index) }
                guard index < rest.endIndex else { break }
                text.append(rest[index])
                index = rest.index(after: index)
            }
            labels[key] = text
            rest =
                rest[min(rest.index(index, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex, rest.endIndex)...]
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }
}
