import StarlingCore

extension MonitorReport.Version {
    /// The figures of `window` (one window, or several added up); `reference` gives the training
    /// profile's shares per bin for the drift scores.
    public init(summarising window: MonitorWindow, reference: DriftReference?) {
        func rate(_ count: Int, of total: Int) -> Double? { total > 0 ? Double(count) / Double(total) : nil }
        let calls = window.latency.reduce(0, +)
        func quantile(_ q: Double) -> Double? {
            guard calls > 0 else { return nil }
            var seen = 0
            for (bucket, count) in window.latency.enumerated() {
                seen += count
                if Double(seen) >= q * Double(calls) {
                    let bounds = MonitorWindow.latencyBoundsMicroseconds
                    return Double(bucket < bounds.count ? bounds[bucket] : bounds[bounds.count - 1] * 2) / 1000
                }
            }
            return nil
        }
        let classes = window.labels.count
        let counts = (0..<classes).map { row in Array(window.confusion[(row * classes)..<((row + 1) * classes)]) }
        var drift: [DriftScore?] = []
        if let reference, reference.width == window.features.count {
            drift = window.features.enumerated().map { feature, bins in
                DriftScore(counts: bins, reference: reference.shares[feature])
            }
        }
        let top = drift.enumerated().compactMap { feature, score in
            score.map { MonitorReport.FeatureDrift(feature: feature, psi: $0.psi, ks: $0.ks) }
        }
        .sorted { $0.psi > $1.psi }
        .prefix(5)
        self.init(
            version: window.version, from: window.start, to: window.start + window.seconds,
            requests: window.requests, errorRate: rate(window.errors, of: window.requests + window.errors),
            phaseTwoRate: rate(window.phaseTwo, of: window.requests),
            degradedRate: rate(window.degraded, of: window.requests), latencyP50Ms: quantile(0.5),
            latencyP95Ms: quantile(0.95), confidence: window.confidence, feedback: window.feedback,
            accuracy: rate(window.correct, of: window.feedback),
            confusion: MonitorReport.Confusion(labels: window.labels, counts: counts), drift: drift,
            topDrift: Array(top))
        arm = window.arm
    }
}
