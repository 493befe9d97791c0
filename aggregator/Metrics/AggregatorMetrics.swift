import Foundation
import Metrics
import SecureAggregation
import StarlingMetrics
import StarlingProtocol

/// What one aggregator counts and times, recorded through swift-metrics into its own
/// ``MetricsRegistry`` (``AggregatorMetricFamilies`` names every family). Series whose label values
/// are known in advance start at zero, so a scrape shows them before anything happened.
struct AggregatorMetrics: Sendable {
    /// How a run or a round ended.
    enum Outcome: String, Sendable, CaseIterable {
        case completed, failed
    }

    /// What a device uploads to a round, named like the last component of its path.
    enum Upload: String, Sendable, CaseIterable {
        /// A plain training update (safetensors delta).
        case update
        /// A plain evaluation's figures.
        case evaluation
        /// A plain upload of feature statistics.
        case statistics
        /// A masked input under SecAgg+.
        case maskedInput = "masked_input"
    }

    /// The listener a request arrived on.
    enum Listener: String, Sendable {
        case `public`, device, metrics
    }

    let registry: MetricsRegistry
    private typealias Families = AggregatorMetricFamilies

    init() {
        registry = MetricsRegistry(families: AggregatorMetricFamilies.all)
        // Making an instrument registers its series, at zero.
        for kind in RunKind.allCases {
            for outcome in Outcome.allCases {
                _ = Counter(label: Families.runs.name, dimensions: Self.labels(kind, outcome), factory: factory)
                _ = Counter(label: Families.rounds.name, dimensions: Self.labels(kind, outcome), factory: factory)
            }
        }
        for upload in Upload.allCases {
            _ = Counter(
                label: Families.updatesAccepted.name, dimensions: [("upload", upload.rawValue)], factory: factory)
        }
        for stage in SecAggStage.allCases {
            _ = Counter(label: Families.secureDropouts.name, dimensions: [("stage", stage.rawValue)], factory: factory)
        }
        _ = Counter(label: Families.refinePredictions.name, factory: factory)
    }

    private var factory: any MetricsFactory { registry.factory }

    /// A run ended.
    func runEnded(kind: RunKind, _ outcome: Outcome) {
        Counter(label: Families.runs.name, dimensions: Self.labels(kind, outcome), factory: factory).increment()
    }

    /// A round (one round of a run) ended.
    func roundEnded(kind: RunKind, _ outcome: Outcome) {
        Counter(label: Families.rounds.name, dimensions: Self.labels(kind, outcome), factory: factory).increment()
    }

    /// Runs `receive`, which takes one upload, and counts it accepted when it returns or rejected
    /// with the API error code of what it throws.
    func counting<Value>(_ upload: Upload, _ receive: () async throws -> Value) async throws -> Value {
        do {
            let value = try await receive()
            Counter(label: Families.updatesAccepted.name, dimensions: [("upload", upload.rawValue)], factory: factory)
                .increment()
            return value
        } catch {
            Counter(
                label: Families.updatesRejected.name,
                dimensions: [("upload", upload.rawValue), ("code", ErrorBodyMiddleware.code(of: error).rawValue)],
                factory: factory
            ).increment()
            throw error
        }
    }

    /// A SecAgg+ stage closed `seconds` after it opened, with `dropouts` expected devices silent.
    func secureStageClosed(_ stage: SecAggStage, seconds: TimeInterval, dropouts: Int) {
        Timer(label: Families.secureStageDuration.name, dimensions: [("stage", stage.rawValue)], factory: factory)
            .recordSeconds(max(seconds, 0))
        Counter(label: Families.secureDropouts.name, dimensions: [("stage", stage.rawValue)], factory: factory)
            .increment(by: dropouts)
    }

    /// One HTTP request answered. `route` is the template the router matched, nil for none.
    func request(
        on listener: Listener, route: String?, method: String, status: Int, duration: Duration
    ) {
        let dimensions = [
            ("listener", listener.rawValue), ("route", route ?? "unmatched"), ("method", method),
            ("status", String(status)),
        ]
        Timer(label: Families.httpRequestDuration.name, dimensions: dimensions, factory: factory)
            .record(duration: duration)
    }

    /// Phase two answered `predictions` predictions in `duration`.
    func refined(predictions: Int, duration: Duration) {
        Timer(label: Families.refineDuration.name, factory: factory).record(duration: duration)
        Counter(label: Families.refinePredictions.name, factory: factory).increment(by: predictions)
    }

    /// Sets the gauges of the fleet's state to what `census` found.
    func record(_ census: FleetCensus) {
        gauge(Families.devicesEnrolled).record(census.devicesEnrolled)
        gauge(Families.devicesOnline).record(census.devicesOnline)
        for state in DeploymentState.allCases {
            gauge(Families.rollouts, [("phase", state.rawValue)]).record(census.rollouts[state] ?? 0)
        }
        let devices = census.rolloutDevices
        for (state, count) in [
            ("waiting", devices.waiting), ("pending", devices.pending), ("installed", devices.installed),
            ("failed", devices.failed), ("rolled_back", devices.rolledBack),
        ] {
            gauge(Families.rolloutDevices, [("state", state)]).record(count)
        }
        gauge(Families.registryModels).record(census.models)
        gauge(Families.registryVersions).record(census.versions)
    }

    private func gauge(_ family: MetricFamily, _ dimensions: [(String, String)] = []) -> Gauge {
        Gauge(label: family.name, dimensions: dimensions, factory: factory)
    }

    private static func labels(_ kind: RunKind, _ outcome: Outcome) -> [(String, String)] {
        [("kind", kind.rawValue), ("outcome", outcome.rawValue)]
    }
}
