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

    public init(state: DeviceDeploymentState, model: String, version: Int, message: String? = nil) {
        self.state = state
        self.model = model
        self.version = version
        self.message = message
    }
}
