#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How a `retrain` rule retrains a version that breached: the rounds of the run on the devices whose
/// own windows breached, and the canary that rolls its result out. Every field has a default.
public struct RetrainSettings: Codable, Sendable, Equatable {
    /// Rounds of the retraining run; 1…100, default 3.
    public var rounds: Int?
    /// Cumulative canary wave percentages; default [5, 25, 100].
    public var waves: [Double]?
    /// Seconds each wave bakes before the next; default 600.
    public var bakeSeconds: Double?
    /// The share of devices that may fail before the rollout halts and rolls back; default 0.05.
    public var maxFailureRate: Double?
    /// How far a device's smoke-test accuracy may fall below the version it replaced; default 0.05.
    public var maxAccuracyDrop: Double?

    public static let defaultRounds = 3

    public init(
        rounds: Int? = nil, waves: [Double]? = nil, bakeSeconds: Double? = nil, maxFailureRate: Double? = nil,
        maxAccuracyDrop: Double? = nil
    ) {
        self.rounds = rounds
        self.waves = waves
        self.bakeSeconds = bakeSeconds
        self.maxFailureRate = maxFailureRate
        self.maxAccuracyDrop = maxAccuracyDrop
    }
}

/// Where an alert's retraining stands.
public enum RetrainState: String, Codable, Sendable, CaseIterable {
    /// The run on the breaching devices is under way.
    case training
    /// The run made a version and a canary deployment rolls it out.
    case rollingOut = "rolling_out"
    /// The run could not start or did not make a version; the outcome says why.
    case failed
}

/// An alert's retraining: the devices that breached, the run that trains on them, and the canary
/// deployment of the version it made.
public struct AlertRetrain: Codable, Sendable, Equatable {
    /// The devices whose own windows broke the threshold, which the run trains on.
    public var devices: [String]
    public var state: RetrainState
    public var runId: String?
    /// The version the run made.
    public var version: Int?
    /// The canary deployment of that version.
    public var deploymentId: String?

    public init(
        devices: [String], state: RetrainState, runId: String? = nil, version: Int? = nil,
        deploymentId: String? = nil
    ) {
        self.devices = devices
        self.state = state
        self.runId = runId
        self.version = version
        self.deploymentId = deploymentId
    }
}

/// What started the run that made a version: a monitor alert's `retrain` action. Kept in the
/// run's plan and in the lineage of every version the run makes.
public struct RetrainTrigger: Codable, Sendable, Equatable {
    public var alertId: Int64
    public var rule: String
    public var condition: MonitorCondition
    public var threshold: Double
    /// The fleet's figure that broke the threshold.
    public var value: Double
    /// The version that breached, which the run starts from.
    public var version: Int
    /// How many devices the run trains on.
    public var devices: Int

    public init(
        alertId: Int64, rule: String, condition: MonitorCondition, threshold: Double, value: Double, version: Int,
        devices: Int
    ) {
        self.alertId = alertId
        self.rule = rule
        self.condition = condition
        self.threshold = threshold
        self.value = value
        self.version = version
        self.devices = devices
    }
}

extension RetrainSettings {
    /// The canary deployment that rolls a retrained `version` out to `selector`.
    public func canary(model: String, version: Int, selector: DeviceSelector) -> CreateDeploymentRequest {
        CreateDeploymentRequest(
            model: model, version: version, selector: selector, strategy: .canary, waves: waves,
            bakeSeconds: bakeSeconds, maxFailureRate: maxFailureRate, maxAccuracyDrop: maxAccuracyDrop)
    }
}
