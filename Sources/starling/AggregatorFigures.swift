/// What `starling simulate` reads from the aggregator's metrics text between rounds, so each round
/// can be reported with where its time went and what it asked of the server: the seconds each
/// SecAgg+ stage took (`starling_secagg_stage_duration_seconds`) and the device requests answered,
/// by method and route template (`starling_http_request_duration_seconds` on the device listener).
struct AggregatorFigures: Sendable, Equatable {
    /// Seconds spent in each SecAgg+ stage, by stage name.
    var stageSeconds: [String: Double] = [:]
    /// Device requests answered, by "METHOD route".
    var deviceRequests: [String: Int] = [:]

    init(stageSeconds: [String: Double] = [:], deviceRequests: [String: Int] = [:]) {
        self.stageSeconds = stageSeconds
        self.deviceRequests = deviceRequests
    }

    /// The figures of a Prometheus text exposition; lines of other families are ignored.
    init(metrics: String) {
        for line in metrics.split(separator: "\n") {
            guard let (name, labels, value) = Self.sample(line) else { continue }
            switch name {
            case "starling_secagg_stage_duration_seconds_sum":
                if let stage = labels["stage"] { stageSeconds[String(stage), default: 0] += value }
            case "starling_http_request_duration_seconds_count":
                guard labels["listener"] == "device", let route = labels["route"], let method = labels["method"],
                    let count = Int(exactly: value.rounded())
                else { continue }
                deviceRequests["\(method) \(route)", default: 0] += count
            default: continue
            }
        }
    }

    /// What grew since `earlier`: the figures of the time between the two readings.
    func since(_ earlier: AggregatorFigures) -> AggregatorFigures {
        AggregatorFigures(
            stageSeconds: Self.growth(stageSeconds, over: earlier.stageSeconds),
            deviceRequests: Self.growth(deviceRequests, over: earlier.deviceRequests))
    }

    private static func growth<Value: Numeric & Comparable>(
        _ now: [String: Value], over before: [String: Value]
    ) -> [String: Value] {
        now.reduce(into: [:]) { grown, entry in
            let difference = entry.value - (before[entry.key] ?? 0)
            if difference > 0 { grown[entry.key] = difference }
        }
    }

    /// `name{label="value",…} number` split into its parts; nil for comments and malformed lines.
    private static func sample(_ line: Substring) -> (Substring, [Substring: Substring], Double)? {
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
            let value = Double(line[line.index(after: space)...])
        else { return nil }
        let series = line[..<space]
        guard let open = series.firstIndex(of: "{"), series.last == "}" else { return (series, [:], value) }
        var labels: [Substring: Substring] = [:]
        var rest = series[series.index(after: open)..<series.index(before: series.endIndex)]
        while let equals = rest.firstIndex(of: "=") {
            let key = rest[..<equals].drop { $0 == "," }
            let quoted = rest[rest.index(after: equals)...]
            guard quoted.first == "\"", let close = quoted.dropFirst().firstIndex(of: "\"") else { return nil }
            labels[key] = quoted[quoted.index(after: quoted.startIndex)..<close]
            rest = quoted[quoted.index(after: close)...]
        }
        return (series[..<open], labels, value)
    }
}
