/// Waiting for something another process or service does, by polling with a deadline (never a
/// fixed sleep): what the demo does while its processes start, and what every test that waits does.
public enum Wait {
    /// The condition did not hold before the deadline.
    public struct TimedOut: Error, CustomStringConvertible {
        public let what: String
        public let timeout: Duration
        public var description: String { "timed out after \(timeout) waiting for \(what)" }
    }

    /// Polls `condition` every `interval` until it returns a value or `timeout` passes.
    public static func until<T>(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(50),
        _ condition: () async -> T?
    ) async throws(TimedOut) -> T {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let value = await condition() { return value }
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what, timeout: timeout) }
            try? await Task.sleep(for: interval)
        }
    }
}
