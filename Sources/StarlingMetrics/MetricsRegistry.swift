public import CoreMetrics
import Prometheus

/// The metrics of one aggregator or agent: a Prometheus collector registry of its own, the
/// swift-metrics factory that records into it, and the text a scrape is answered with.
///
/// Parts of the process record through ``factory`` (swift-metrics' `Counter`, `Timer` and `Gauge`
/// take it as their `factory:`), never through the process-wide `MetricsSystem`, so several
/// aggregators in one process (as in tests) keep separate figures.
public struct MetricsRegistry: Sendable {
    /// The media type of ``exposition()``: the Prometheus text format 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Records into this registry.
    public let factory: any MetricsFactory
    private let registry: PrometheusCollectorRegistry
    private let help: [String: String]

    /// A registry for the metrics of `families`; each histogram family gets its buckets.
    public init(families: [MetricFamily]) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        var help: [String: String] = [:]
        for family in families {
            help[family.name] = family.help
            if case .histogram(let buckets) = family.kind {
                factory.durationHistogramBuckets[family.name] = buckets
            }
        }
        self.registry = registry
        self.factory = factory
        self.help = help
    }

    /// Every family recorded so far in the Prometheus text format, sorted by name, each with the
    /// `# HELP` line of its catalogue entry (the swift-metrics factory registers families without
    /// help text, which Prometheus tooling asks for).
    public func exposition() -> String {
        var families: [(name: Substring, lines: [Substring])] = []
        for line in registry.emitToString().split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                families.append((line.dropFirst("# TYPE ".count).prefix { $0 != " " }, [line]))
            } else if !families.isEmpty {
                families[families.count - 1].lines.append(line)
            }
        }
        var text = ""
        for family in families.sorted(by: { $0.name < $1.name }) {
            if let help = help[String(family.name)] {
                text += "# HELP \(family.name) \(help)\n"
            }
            for line in family.lines {
                text += line
                text += "\n"
            }
        }
        return text
    }
}
