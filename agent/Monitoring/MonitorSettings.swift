/// How the agent keeps its predictions and monitors: how long a keyed prediction waits for its
/// feedback and how many are kept at most, and the length and number of the monitor windows kept.
public struct MonitorSettings: Sendable, Equatable {
    /// Whether predictions are logged and monitored at all.
    public var enabled: Bool
    /// Seconds a keyed prediction waits for feedback before it is forgotten.
    public var retentionSeconds: Double
    /// The most keyed predictions kept; past it the oldest go first.
    public var predictionLimit: Int
    /// The length of a monitor window, in seconds.
    public var windowSeconds: Double
    /// The most closed windows kept on disk, over all versions; past it the oldest go first.
    public var windowLimit: Int
    /// How often closed windows are sent to the aggregator, in seconds; 0 keeps them on the device.
    public var reportSeconds: Double

    public init(
        enabled: Bool = true, retentionSeconds: Double = 86_400, predictionLimit: Int = 100_000,
        windowSeconds: Double = 300, windowLimit: Int = 576, reportSeconds: Double = 60
    ) {
        self.enabled = enabled
        self.retentionSeconds = retentionSeconds
        self.predictionLimit = predictionLimit
        self.windowSeconds = windowSeconds
        self.windowLimit = windowLimit
        self.reportSeconds = reportSeconds
    }

    /// The bounds the command line enforces, with the reason for a refusal.
    public func problem() -> String? {
        guard retentionSeconds.isFinite, (60...(90 * 86_400)).contains(retentionSeconds) else {
            return "the prediction retention must be 60 seconds to 90 days"
        }
        guard (1...10_000_000).contains(predictionLimit) else { return "the prediction limit must be 1…10,000,000" }
        guard windowSeconds.isFinite, (1...86_400).contains(windowSeconds) else {
            return "the monitor window must be 1 second to 1 day"
        }
        guard (1...100_000).contains(windowLimit) else { return "the monitor window limit must be 1…100,000" }
        guard reportSeconds == 0 || (reportSeconds.isFinite && (1...86_400).contains(reportSeconds)) else {
            return "the monitor report interval must be 0 (never) or 1 second to 1 day"
        }
        return nil
    }
}
