import Foundation
import StarlingCore
import StarlingProtocol

/// Checks a device's monitor windows before they are kept: each names a version of the registry
/// as `name@version`, has that version's shape (its labels, the bins of its drift reference and the
/// fixed latency and confidence buckets), a start within the last 30 days (or a minute ahead), a
/// length of 1 s to 1 day, and counts that are whole, non-negative and at most 2⁴⁰, with no more
/// right answers than labelled ones. Anything else is 400 `invalid_monitor`.
struct MonitorUploadValidator {
    /// How far back a window may start.
    static let maximumAge: TimeInterval = 30 * 86_400
    /// The largest count a window may hold.
    static let maximumCount = 1 << 40

    /// Labels and drift bin counts of a version, by `name@version`.
    let shape: (String) async throws(APIError) -> (model: String, version: Int, labels: [String], bins: [Int])

    func validate(_ upload: MonitorUpload, now: Date) async throws(APIError) -> [(String, Int, MonitorWindow)] {
        guard (1...MonitorUpload.maximumWindows).contains(upload.windows.count) else {
            throw Self.invalid("an upload holds 1…\(MonitorUpload.maximumWindows) windows, not \(upload.windows.count)")
        }
        var shapes: [String: (model: String, version: Int, labels: [String], bins: [Int])] = [:]
        var accepted: [(String, Int, MonitorWindow)] = []
        for (index, window) in upload.windows.enumerated() {
            let known: (model: String, version: Int, labels: [String], bins: [Int])
            if let cached = shapes[window.version] {
                known = cached
            } else {
                known = try await shape(window.version)
                shapes[window.version] = known
            }
            try check(window, index: index, against: known, now: now)
            accepted.append((known.model, known.version, window))
        }
        return accepted
    }

    private func check(
        _ window: MonitorWindow, index: Int,
        against known: (model: String, version: Int, labels: [String], bins: [Int]),
        now: Date
    ) throws(APIError) {
        let at = "window \(index)"
        let oldest = now.timeIntervalSince1970 - Self.maximumAge
        guard window.start.isFinite, window.start >= oldest, window.start <= now.timeIntervalSince1970 + 60 else {
            throw Self.invalid("\(at) starts outside the last 30 days")
        }
        guard window.seconds.isFinite, (1...86_400).contains(window.seconds) else {
            throw Self.invalid("\(at) lasts \(window.seconds) s; 1 s to 1 day")
        }
        guard window.labels == known.labels else { throw Self.invalid("\(at) does not have the version's labels") }
        guard window.latency.count == MonitorWindow.latencyBoundsMicroseconds.count + 1,
            window.confidence.count == MonitorWindow.confidenceBuckets,
            window.confusion.count == known.labels.count * known.labels.count,
            window.features.map(\.count) == known.bins
        else {
            throw Self.invalid("\(at) does not have the shape of \(window.version)'s windows")
        }
        let counts =
            [window.requests, window.errors, window.phaseTwo, window.degraded, window.feedback, window.correct]
            + window.latency + window.confidence + window.confusion
        guard counts.allSatisfy({ (0...Self.maximumCount).contains($0) }),
            window.features.allSatisfy({ $0.allSatisfy { (0...Self.maximumCount).contains($0) } })
        else {
            throw Self.invalid("\(at) has a count below 0 or above 2^40")
        }
        guard window.correct <= window.feedback, window.phaseTwo <= window.requests,
            window.degraded <= window.phaseTwo
        else {
            throw Self.invalid("\(at) has more right answers than feedback, or more escalations than requests")
        }
        if let arm = window.arm {
            guard Experiments.isExperiment(arm.experiment), (5...64).contains(arm.experiment.utf8.count),
                arm.experiment.utf8.allSatisfy({
                    $0 == 0x2D || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0)
                }),
                (0...window.requests).contains(arm.agreed), arm.shadow || arm.agreed == 0
            else {
                throw Self.invalid(
                    "\(at) names an experiment arm that is not an experiment id, or agrees more than it answered")
            }
        }
    }

    private static func invalid(_ reason: String) -> APIError {
        .badRequest(.invalidMonitor, "The monitor upload is refused: \(reason).")
    }
}
