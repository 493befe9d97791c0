#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How a deployment tries a candidate version beside the one devices run, instead of rolling it out.
public enum ExperimentMode: String, Codable, Sendable, CaseIterable {
    /// The candidate answers the same inputs off the request path; its answers are never returned.
    case shadow
    /// Requests are routed by a hash of their key: `split` % to the candidate, the rest to the
    /// active version, so a key always sees the same version.
    case ab
    /// Thompson sampling over the active version and the candidates, rewarded by feedback.
    case bandit
}

/// What an experiment's windows are an arm of: set on the windows a device records while an
/// experiment holds it, so the aggregator compares the arms on the same devices and time.
public struct ExperimentArm: Codable, Sendable, Equatable {
    /// The experiment's deployment id.
    public var experiment: String
    /// True for a shadow version's answers, which were never returned.
    public var shadow: Bool
    /// Shadow arms: answers whose label equals the active version's phase-one label.
    public var agreed: Int

    public init(experiment: String, shadow: Bool, agreed: Int = 0) {
        self.experiment = experiment
        self.shadow = shadow
        self.agreed = agreed
    }
}

/// A bandit arm's fleet prior: Beta(1 + successes, 1 + failures), from the feedback the fleet's
/// devices counted for the arm, scaled to one device's share.
public struct ArmPrior: Codable, Sendable, Equatable {
    /// The arm's version, as `name@version`.
    public var version: String
    public var successes: Double
    public var failures: Double

    public init(version: String, successes: Double, failures: Double) {
        self.version = version
        self.successes = successes
        self.failures = failures
    }
}

/// The experiment a device takes part in: the candidate versions it holds beside its active one,
/// and how requests are shared among them.
public struct DesiredExperiment: Codable, Sendable, Equatable {
    /// The experiment's deployment id.
    public var id: String
    public var mode: ExperimentMode
    /// The candidates, each signed like a deployed version; the device's active version is the
    /// control. They must be versions of the model the device runs.
    public var candidates: [DesiredModel]
    /// A/B tests: the percentage of keys routed to the candidate.
    public var split: Double?
    /// Bandits: the fleet priors of the arms, refreshed from the aggregated counts.
    public var priors: [ArmPrior]?

    public init(
        id: String, mode: ExperimentMode, candidates: [DesiredModel], split: Double? = nil, priors: [ArmPrior]? = nil
    ) {
        self.id = id
        self.mode = mode
        self.candidates = candidates
        self.split = split
        self.priors = priors
    }
}

/// One arm's figures over the experiment's windows.
public struct ArmFigures: Codable, Sendable, Equatable {
    /// `control` (the devices' active versions), `candidate` (serving) or `shadow`.
    public var role: String
    public var version: Int
    public var devices: Int
    /// Answers the arm gave (a shadow's were not returned).
    public var requests: Int
    public var feedback: Int
    public var correct: Int
    public var accuracy: Double?
    /// The arm's Wilson 95 % interval of accuracy.
    public var accuracyLow: Double?
    public var accuracyHigh: Double?
    public var latencyP50Ms: Double?
    /// The share of answers at or above 0.8 confidence.
    public var confidentShare: Double?
    /// Shadow arms: the share of answers equal to the active version's.
    public var agreement: Double?
    /// Bandits: the arm's share of the requests, and the chance its accuracy is the best.
    public var trafficShare: Double?
    public var probabilityBest: Double?

    public init(role: String, version: Int, devices: Int, requests: Int, feedback: Int, correct: Int) {
        self.role = role
        self.version = version
        self.devices = devices
        self.requests = requests
        self.feedback = feedback
        self.correct = correct
    }
}

/// The comparison of a candidate with the control on accuracy with feedback.
public struct ExperimentVerdict: Codable, Sendable, Equatable {
    /// The test: `two-proportion z-test` (A/B and shadow) or `thompson posterior` (bandits).
    public var test: String
    /// `candidate`, `control`, or `none` while the difference is not significant or the arms lack
    /// feedback.
    public var winner: String
    /// The candidate version the verdict is about.
    public var candidate: Int
    /// Candidate accuracy minus control accuracy, and its 95 % confidence interval.
    public var difference: Double?
    public var low: Double?
    public var high: Double?
    public var z: Double?
    public var pValue: Double?
    /// A sentence saying what the figures mean.
    public var summary: String

    public init(
        test: String, winner: String, candidate: Int, difference: Double?, low: Double?, high: Double?, z: Double?,
        pValue: Double?, summary: String
    ) {
        self.test = test
        self.winner = winner
        self.candidate = candidate
        self.difference = difference
        self.low = low
        self.high = high
        self.z = z
        self.pValue = pValue
        self.summary = summary
    }
}

/// An experiment's state as `deploy status` shows it.
public struct ExperimentReport: Codable, Sendable, Equatable {
    public var mode: ExperimentMode
    public var candidates: [Int]
    public var split: Double?
    /// Feedback each arm needs before a verdict is given.
    public var minFeedback: Int
    public var arms: [ArmFigures]
    public var verdict: ExperimentVerdict?
    /// The rollout `promote` started, once promoted.
    public var promotedTo: String?

    public init(
        mode: ExperimentMode, candidates: [Int], split: Double?, minFeedback: Int, arms: [ArmFigures],
        verdict: ExperimentVerdict?, promotedTo: String?
    ) {
        self.mode = mode
        self.candidates = candidates
        self.split = split
        self.minFeedback = minFeedback
        self.arms = arms
        self.verdict = verdict
        self.promotedTo = promotedTo
    }
}

/// `POST /v1/admin/deployments/{id}/promote`: ships an experiment's winner as a rollout.
public struct PromoteRequest: Codable, Sendable {
    /// Default `all`.
    public var strategy: DeploymentStrategy?
    public var waves: [Double]?
    public var bakeSeconds: Double?

    public init(strategy: DeploymentStrategy? = nil, waves: [Double]? = nil, bakeSeconds: Double? = nil) {
        self.strategy = strategy
        self.waves = waves
        self.bakeSeconds = bakeSeconds
    }
}
