import Metrics
import StarlingMetrics
import StarlingProtocol

/// What an agent counts and times, recorded through swift-metrics into its own ``MetricsRegistry``
/// (``AgentMetricFamilies`` names every family) and served by the local API's `GET /metrics`.
/// The instruments are made once, so recording on the prediction path is an atomic add.
public struct AgentMetrics: Sendable {
    /// How a phase-two request ended.
    enum PhaseTwoOutcome: String, Sendable, CaseIterable {
        case answered, failed
        case timedOut = "timed_out"
    }

    /// How a deployment the agent carried out ended.
    enum InstallOutcome: String, Sendable, CaseIterable {
        case installed, failed
        case rolledBack = "rolled_back"
    }

    let registry: MetricsRegistry
    let predictions: Counter
    let escalations: Counter
    let degradedAnswers: Counter
    let phaseOne: Timer
    let training: Timer
    private let phaseTwo: [PhaseTwoOutcome: Timer]
    private let installs: [InstallOutcome: Counter]
    private let modelVersion: Gauge
    private let privacySpent: Gauge

    public init() {
        let registry = MetricsRegistry(families: AgentMetricFamilies.all)
        let factory = registry.factory
        typealias Families = AgentMetricFamilies
        self.registry = registry
        predictions = Counter(label: Families.predictions.name, factory: factory)
        escalations = Counter(label: Families.escalations.name, factory: factory)
        degradedAnswers = Counter(label: Families.degradedAnswers.name, factory: factory)
        phaseOne = Timer(label: Families.phaseOneDuration.name, factory: factory)
        training = Timer(label: Families.trainingDuration.name, factory: factory)
        var phaseTwo: [PhaseTwoOutcome: Timer] = [:]
        for outcome in PhaseTwoOutcome.allCases {
            let labels = [("outcome", outcome.rawValue)]
            phaseTwo[outcome] = Timer(label: Families.phaseTwoDuration.name, dimensions: labels, factory: factory)
        }
        self.phaseTwo = phaseTwo
        var installs: [InstallOutcome: Counter] = [:]
        for outcome in InstallOutcome.allCases {
            let labels = [("outcome", outcome.rawValue)]
            installs[outcome] = Counter(label: Families.installs.name, dimensions: labels, factory: factory)
        }
        self.installs = installs
        modelVersion = Gauge(label: Families.modelVersion.name, factory: factory)
        privacySpent = Gauge(label: Families.privacySpent.name, factory: factory)
    }

    /// A phase-two request ended with `outcome` after `duration`.
    func phaseTwo(_ outcome: PhaseTwoOutcome, after duration: Duration) {
        phaseTwo[outcome]?.record(duration: duration)
    }

    /// A deployment was carried out with `outcome`.
    func installed(_ outcome: InstallOutcome) {
        installs[outcome]?.increment()
    }

    /// The metrics in the Prometheus text format, with the gauges set to the version serving now
    /// (nil before the first install) and to the privacy ledger's `privacy`.
    func scrape(modelVersion version: Int?, privacy: PrivacyStatus) -> String {
        modelVersion.record(version ?? 0)
        privacySpent.record(privacy.spentEpsilon)
        if let budget = privacy.budgetEpsilon {
            Gauge(label: AgentMetricFamilies.privacyBudget.name, factory: registry.factory).record(budget)
        }
        return registry.exposition()
    }
}
