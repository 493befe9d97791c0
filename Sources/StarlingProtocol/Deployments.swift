#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An operator's request to run a model version on every device a selector picks, all at once.
public struct CreateDeploymentRequest: Codable, Sendable {
    public var model: String
    public var version: Int
    public var selector: DeviceSelector

    public init(model: String, version: Int, selector: DeviceSelector) {
        self.model = model
        self.version = version
        self.selector = selector
    }
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
    public var pending: Int
    public var installed: Int
    public var failed: Int

    public init(pending: Int, installed: Int, failed: Int) {
        self.pending = pending
        self.installed = installed
        self.failed = failed
    }
}

/// A deployment as the admin API shows it.
public struct DeploymentInfo: Codable, Sendable, Equatable {
    public var id: String
    public var model: String
    public var version: Int
    public var selector: DeviceSelector
    public var targeted: Int
    public var counts: DeploymentCounts
    public var createdAt: Date

    public init(
        id: String, model: String, version: Int, selector: DeviceSelector, targeted: Int,
        counts: DeploymentCounts, createdAt: Date
    ) {
        self.id = id
        self.model = model
        self.version = version
        self.selector = selector
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
