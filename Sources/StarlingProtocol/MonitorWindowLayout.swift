/// How one device's ``MonitorWindow`` becomes a vector of Z/2^32 words for secure aggregation, and
/// how the sum of such vectors becomes the fleet's window.
///
/// Exists so that, for a large enough fleet, the aggregator learns only fleet totals of the
/// feedback counts and drift histograms, not any device's. Every count is capped at
/// ``maximumCount`` = 2^20 − 1 per device (a span's counts beyond it are cut, and counted as
/// clipped), so the word-wise sum of up to ``maximumDevices`` devices never wraps.
///
/// Layout for L labels and drift bins b₁…b_D, in order: requests, errors, phase two, degraded,
/// feedback, correct (6); the latency buckets (20); the confidence tenths (10); the confusion
/// matrix (L²); each feature's bins (Σ bᵢ); 1, so the sum counts the devices.
public enum MonitorWindowLayout {
    public static let maximumCount = (1 << 20) - 1
    public static let maximumDevices = 4096

    public static func vectorLength(labels: Int, bins: [Int]) -> Int {
        6 + (MonitorWindow.latencyBoundsMicroseconds.count + 1) + MonitorWindow.confidenceBuckets + labels * labels
            + bins.reduce(0, +) + 1
    }

    /// The words of `window`, and how many counts were cut to ``maximumCount``.
    public static func encode(_ window: MonitorWindow) -> (words: [UInt32], clipped: Int) {
        var clipped = 0
        func word(_ count: Int) -> UInt32 {
            if count > maximumCount { clipped += 1 }
            return UInt32(min(max(count, 0), maximumCount))
        }
        var words = [window.requests, window.errors, window.phaseTwo, window.degraded, window.feedback, window.correct]
            .map(word)
        words += (window.latency + window.confidence + window.confusion + window.features.flatMap { $0 }).map(word)
        words.append(1)
        return (words, clipped)
    }

    /// The fleet window behind `words`, the sum of the devices' encodings of windows shaped as
    /// `empty`, and how many devices it sums.
    public static func decodeSum(_ words: [UInt32], into empty: MonitorWindow) -> (window: MonitorWindow, devices: Int)?
    {
        let bins = empty.features.map(\.count)
        guard words.count == vectorLength(labels: empty.labels.count, bins: bins) else { return nil }
        let devices = Int(words[words.count - 1])
        guard (1...maximumDevices).contains(devices) else { return nil }
        var window = empty
        var offset = 0
        func take(_ count: Int) -> [Int] {
            defer { offset += count }
            return words[offset..<(offset + count)].map { Int($0) }
        }
        let head = take(6)
        (window.requests, window.errors, window.phaseTwo, window.degraded, window.feedback, window.correct) = (
            head[0], head[1], head[2], head[3], head[4], head[5]
        )
        window.latency = take(window.latency.count)
        window.confidence = take(window.confidence.count)
        window.confusion = take(window.confusion.count)
        window.features = bins.map { take($0) }
        guard window.correct <= window.feedback else { return nil }
        return (window, devices)
    }
}
