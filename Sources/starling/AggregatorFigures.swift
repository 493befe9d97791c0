import StarlingMetrics

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

    /// The figures of a Prometheus text exposition; samples of other families are ignored.
    init(metrics: String) {
        for sample in PrometheusSamples(metrics).samples {
            switch sample.name {
            case "starling_secagg_stage_duration_seconds_sum":
                if let stage = sample.labels["stage"] { stageSeconds[stage, default: 0] += sample.value }
            case "starling_http_request_duration_seconds_count":
                guard sample.labels["listener"] == "device", let route = sample.labels["route"],
                    let method = sample.labels["method"], let count = Int(exactly: sample.value.rounded())
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
}
