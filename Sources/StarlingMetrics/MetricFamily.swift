/// One metric family a Starling process exports: its Prometheus name, what kind of metric it is and
/// the one line of help text a scrape shows for it. Each process lists its families in one
/// catalogue, so names, help and histogram buckets are written once and documented in one place.
public struct MetricFamily: Sendable, Equatable {
    /// What the family's samples are.
    public enum Kind: Sendable, Equatable {
        /// A count that only goes up (restarting at zero with the process); the name ends in `_total`.
        case counter
        /// A value that goes up and down.
        case gauge
        /// Durations counted into cumulative buckets with these upper bounds; the name ends in `_seconds`.
        case histogram(buckets: [Duration])
    }

    /// The Prometheus name, `starling_…` in base units.
    public let name: String
    public let kind: Kind
    /// Plain text on one line, without backslashes.
    public let help: String

    public init(_ name: String, _ kind: Kind, help: String) {
        self.name = name
        self.kind = kind
        self.help = help
    }
}

extension MetricFamily.Kind {
    /// Histogram buckets given in seconds.
    public static func histogram(seconds: [Double]) -> Self {
        .histogram(buckets: seconds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) })
    }
}
