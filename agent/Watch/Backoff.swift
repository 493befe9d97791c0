/// Reconnect delays: exponential backoff with full jitter ("Exponential Backoff And Jitter",
/// AWS Architecture Blog, 2015): the n-th delay is uniform in [0, min(cap, base · 2ⁿ)].
///
/// Full jitter spreads a fleet's reconnects after an aggregator restart instead of synchronising
/// them. The generator is injected so tests get a fixed schedule.
public struct Backoff<Generator: RandomNumberGenerator & Sendable>: Sendable {
    public let base: Duration
    public let cap: Duration
    private var generator: Generator
    /// Failures since the last success.
    public private(set) var attempt = 0

    public init(base: Duration = .milliseconds(200), cap: Duration = .seconds(10), generator: Generator) {
        self.base = base
        self.cap = cap
        self.generator = generator
    }

    /// The upper bound of the delay after `attempt` failures: min(cap, base · 2^attempt).
    public func ceiling(attempt: Int) -> Duration {
        min(cap, base * (1 << min(attempt, 30)))
    }

    /// The delay before the next try; each call counts one more failure.
    public mutating func nextDelay() -> Duration {
        let ceiling = ceiling(attempt: attempt)
        attempt += 1
        let nanoseconds = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(0, nanoseconds), using: &generator))
    }

    /// Starts the schedule over after a success.
    public mutating func reset() {
        attempt = 0
    }
}
