/// How a device's monitor windows reach the aggregator.
public enum MonitorUploadMode: String, Codable, Sendable, CaseIterable {
    /// Each device sends its closed windows (`POST /v1/device/monitor`).
    case perDevice = "per_device"
    /// Devices keep their windows and add them up under SecAgg+ when a monitor run asks
    /// (``RunKind/monitor``): the aggregator learns only the sum over the cohort.
    case secure
}

/// A monitor run's task: add up the device's windows of `version` that ended by `to` and were not
/// sent yet (so a device away during one collection brings its windows to the next), shaped by the
/// version's `labels` and drift `bins`, and contribute the sum under SecAgg+. `from` is where the
/// aggregator's previous collection of the version ended: the span the sum is filed under.
public struct MonitorTask: Codable, Sendable, Equatable {
    /// `name@version`.
    public var version: String
    /// Seconds since 1970.
    public var from: Double
    public var to: Double
    public var labels: [String]
    /// Bins per feature of the version's drift reference; empty without one.
    public var bins: [Int]

    public init(version: String, from: Double, to: Double, labels: [String], bins: [Int]) {
        self.version = version
        self.from = from
        self.to = to
        self.labels = labels
        self.bins = bins
    }

    /// The window shape of the task: empty, covering the span.
    public var emptyWindow: MonitorWindow {
        MonitorWindow(version: version, start: from, seconds: to - from, labels: labels, bins: bins)
    }

    /// Whether `window` (not sent yet) is one the task adds up: it served `version` and ended by `to`.
    public func includes(_ window: MonitorWindow) -> Bool {
        window.version == version && window.served && window.start + window.seconds <= to
    }

    /// The windows the task ``includes``, added up into ``emptyWindow``.
    public func sum(of windows: [MonitorWindow]) -> MonitorWindow {
        var total = emptyWindow
        for window in windows where includes(window) {
            var plain = window
            plain.arm = nil
            plain.start = total.start
            plain.seconds = total.seconds
            total.add(plain)
        }
        return total
    }
}
