#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How a deployment moves devices onto its version.
public enum DeploymentStrategy: String, Codable, Sendable, CaseIterable {
    /// Every targeted device at once.
    case all
    /// Cumulative waves (`waves`), each baking before the next; health gates may halt and roll back.
    case canary
    /// Every targeted device at once, and those devices are kept out of other deployments while it holds them.
    case pinned
}

/// An operator's request to run a model version (or whatever version an alias names, following the
/// alias when it moves) on the devices a selector picks, under a strategy and its health gates.
public struct CreateDeploymentRequest: Codable, Sendable {
    public var model: String
    /// The version to run; exactly one of `version` and `alias`.
    public var version: Int?
    /// The alias to follow: moving it rolls the new version out under this deployment's strategy.
    public var alias: String?
    public var selector: DeviceSelector
    /// Default `all`.
    public var strategy: DeploymentStrategy?
    /// Cumulative percentages for `canary`; default [5, 25, 100].
    public var waves: [Double]?
    /// Seconds each wave bakes before the next; default 600 for canary, 0 otherwise.
    public var bakeSeconds: Double?
    /// The share of devices that may fail before the deployment halts and rolls back; default 0.05.
    public var maxFailureRate: Double?
    /// How far a device's smoke-test accuracy may fall below the version it replaced; default 0.05.
    public var maxAccuracyDrop: Double?
    /// Try `version` beside the devices' active versions instead of rolling it out.
    public var mode: ExperimentMode?
    /// `ab`: the percentage of keys routed to the candidate; default 50.
    public var split: Double?
    /// `bandit`: more candidate versions beside `version`.
    public var arms: [Int]?
    /// Feedback each arm needs before a verdict is given; default 100.
    public var minFeedback: Int?

    public init(
        model: String, version: Int? = nil, alias: String? = nil, selector: DeviceSelector,
        strategy: DeploymentStrategy? = nil, waves: [Double]? = nil, bakeSeconds: Double? = nil,
        maxFailureRate: Double? = nil, maxAccuracyDrop: Double? = nil, mode: ExperimentMode? = nil,
        split: Double? = nil, arms: [Int]? = nil, minFeedback: Int? = nil
    ) {
        self.mode = mode
        self.split = split
        self.arms = arms
        self.minFeedback = minFeedback
        self.model = model
        self.version = version
        self.alias = alias
        self.selector = selector
        self.strategy = strategy
        self.waves = waves
        self.bakeSeconds = bakeSeconds
        self.maxFailureRate = maxFailureRate
        self.maxAccuracyDrop = maxAccuracyDrop
    }
}

/// Where a deployment's rollout stands.
public enum DeploymentState: String, Codable, Sendable, CaseIterable {
    case running, paused, halted, completed, aborted
    /// An operator rolled it back: every device it moved went back to its previous version.
    case rolledBack = "rolled_back"
    /// Its alias moved and a new deployment took its place.
    case superseded
}

/// One line of a deployment's history.
public struct DeploymentEvent: Codable, Sendable, Equatable {
    public var at: Date
    public var message: String

    public init(at: Date, message: String) {
        self.at = at
        self.message = message
    }
}

/// A deployment's history, oldest first.
public struct DeploymentEventList: Codable, Sendable, Equatable {
    public var events: [DeploymentEvent]

    public init(events: [DeploymentEvent]) { self.events = events }
}

/// Where one device stands in a deployment.
public enum DeviceDeploymentState: String, Codable, Sendable, CaseIterable {
    case pending, installed, failed
    /// The device went back to the version it ran before (its previous model slot).
    case rolledBack = "rolled_back"
}

/// One model version's smoke test on a device's own held-out samples: how well and how fast phase
/// one answers, how often it fails, and how often it would escalate to phase two.
public struct SmokeTest: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int
    /// Held-out samples the test ran on.
    public var samples: Int
    /// Share of labelled samples answered correctly by phase one; nil when none is labelled.
    public var accuracy: Double?
    /// Median phase-one latency of one prediction, in milliseconds.
    public var latencyMs: Double
    /// Share of predictions that failed (no finite answer).
    public var errorRate: Double
    /// Share of predictions below the model's confidence threshold, which phase two would refine.
    public var escalationRate: Double

    public init(
        model: String, version: Int, samples: Int, accuracy: Double?, latencyMs: Double, errorRate: Double,
        escalationRate: Double
    ) {
        self.model = model
        self.version = version
        self.samples = samples
        self.accuracy = accuracy
        self.latencyMs = latencyMs
        self.errorRate = errorRate
        self.escalationRate = escalationRate
    }
}

/// What a device measured after installing a version: the new version's smoke test and, when it
/// replaced one, the same test of the version it replaced, so health gates compare like with like.
public struct InstallHealth: Codable, Sendable, Equatable {
    public var installed: SmokeTest
    public var replaced: SmokeTest?

    public init(installed: SmokeTest, replaced: SmokeTest?) {
        self.installed = installed
        self.replaced = replaced
    }
}

/// How many targeted devices are in each state.
public struct DeploymentCounts: Codable, Sendable, Equatable {
    /// Not moved yet: waiting for a later wave.
    public var waiting: Int
    /// Told to install, no report yet.
    public var pending: Int
    /// Installed and healthy.
    public var installed: Int
    /// Failed to install or failed the health gate.
    public var failed: Int
    /// Sent back to their previous version.
    public var rolledBack: Int

    public init(waiting: Int = 0, pending: Int, installed: Int, failed: Int, rolledBack: Int = 0) {
        self.waiting = waiting
        self.pending = pending
        self.installed = installed
        self.failed = failed
        self.rolledBack = rolledBack
    }
}

/// A deployment as the admin API shows it.
public struct DeploymentInfo: Codable, Sendable, Equatable {
    public var id: String
    public var model: String
    public var version: Int
    public var alias: String?
    public var selector: DeviceSelector
    public var strategy: DeploymentStrategy
    public var state: DeploymentState
    /// Why it halted, or which deployment superseded it.
    public var reason: String?
    /// Cumulative wave percentages ([100] for all and pinned).
    public var waves: [Double]
    /// The wave running now (0-based); nil once it has ended.
    public var currentWave: Int?
    public var bakeSeconds: Double
    public var maxFailureRate: Double
    public var targeted: Int
    public var counts: DeploymentCounts
    public var createdAt: Date
    /// Set for an experiment (shadow, A/B, bandit): its arms, figures and verdict.
    public var experiment: ExperimentReport?

    public init(
        id: String, model: String, version: Int, alias: String?, selector: DeviceSelector, strategy: DeploymentStrategy,
        state: DeploymentState, reason: String?, waves: [Double], currentWave: Int?, bakeSeconds: Double,
        maxFailureRate: Double, targeted: Int, counts: DeploymentCounts, createdAt: Date,
        experiment: ExperimentReport? = nil
    ) {
        self.experiment = experiment
        self.id = id
        self.model = model
        self.version = version
        self.alias = alias
        self.selector = selector
        self.strategy = strategy
        self.state = state
        self.reason = reason
        self.waves = waves
        self.currentWave = currentWave
        self.bakeSeconds = bakeSeconds
        self.maxFailureRate = maxFailureRate
        self.targeted = targeted
        self.counts = counts
        self.createdAt = createdAt
    }
}

/// A device's report on installing a deployment's version.
public struct DeploymentReport: Codable, Sendable {
    public var state: DeviceDeploymentState
    public var model: String
    public var version: Int
    public var message: String?
    /// Installed: the smoke tests of the new version and of the one it replaced.
    public var health: InstallHealth?

    public init(
        state: DeviceDeploymentState, model: String, version: Int, message: String? = nil, health: InstallHealth? = nil
    ) {
        self.state = state
        self.model = model
        self.version = version
        self.message = message
        self.health = health
    }
}
