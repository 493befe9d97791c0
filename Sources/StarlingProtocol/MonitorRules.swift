#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a monitor rule watches in the fleet's windows of a model's versions.
public enum MonitorCondition: String, Codable, Sendable, CaseIterable {
    /// The largest PSI of any feature above the threshold.
    case maxDrift = "max_drift"
    /// Accuracy on feedback below the threshold.
    case minAccuracy = "min_accuracy"
    /// The share of answers sent to phase two above the threshold.
    case maxPhaseTwoRate = "max_phase2_rate"
}

/// What a rule does when its condition holds.
public enum MonitorAction: String, Codable, Sendable, CaseIterable {
    /// Record an alert and send it to the aggregator's webhook, if one is set.
    case alert
    /// As `alert`, and roll back the live deployments of the version.
    case rollback
    /// As `alert`, and start a run from the version on the devices whose own windows breached, then
    /// roll the version it makes out through a canary with health gates.
    case retrain
}

/// `POST /v1/admin/monitor/rules`: creates or replaces the rule `name` of `model`.
public struct SetMonitorRuleRequest: Codable, Sendable, Equatable {
    public var model: String
    public var name: String
    public var condition: MonitorCondition
    public var threshold: Double
    /// The span of windows the condition is judged on, in seconds.
    public var forSeconds: Double
    public var action: MonitorAction
    /// With `retrain`: the run's rounds and the canary's waves and gates; defaults otherwise.
    public var retrain: RetrainSettings?
    /// The fewest observations the span must hold before its figure is judged, for the fleet and
    /// for each device a retraining chooses: inputs for `max_drift` and `max_phase2_rate`, feedback
    /// for `min_accuracy`; nil for ``defaultMinSamples``. A PSI over a handful of inputs is sampling
    /// noise: with a bin the profile fills at 5 % left empty by ten inputs, one feature alone scores
    /// above 0.3.
    public var minSamples: Int?

    /// The observations a rule waits for when it names none.
    public static let defaultMinSamples = 200
    /// The bounds of ``minSamples``.
    public static let minSamplesRange = 1...10_000_000

    /// The observations this rule waits for.
    public var samplesNeeded: Int { minSamples ?? Self.defaultMinSamples }

    public init(
        model: String, name: String, condition: MonitorCondition, threshold: Double, forSeconds: Double,
        action: MonitorAction, retrain: RetrainSettings? = nil, minSamples: Int? = nil
    ) {
        self.minSamples = minSamples
        self.retrain = retrain
        self.model = model
        self.name = name
        self.condition = condition
        self.threshold = threshold
        self.forSeconds = forSeconds
        self.action = action
    }
}

/// A stored rule.
public struct MonitorRule: Codable, Sendable, Equatable {
    public var rule: SetMonitorRuleRequest
    public var updatedAt: Date

    public init(rule: SetMonitorRuleRequest, updatedAt: Date) {
        self.rule = rule
        self.updatedAt = updatedAt
    }
}

public struct MonitorRuleList: Codable, Sendable, Equatable {
    public var rules: [MonitorRule]

    public init(rules: [MonitorRule]) { self.rules = rules }
}

/// A rule that fired for a version: what it saw, what was done, and when it stopped holding.
public struct MonitorAlert: Codable, Sendable, Equatable {
    public var id: Int64
    public var model: String
    public var version: Int
    public var rule: String
    public var condition: MonitorCondition
    public var threshold: Double
    /// The figure that broke the threshold.
    public var value: Double
    public var action: MonitorAction
    /// What the action did: the webhook's answer, the deployments rolled back, the retraining.
    public var outcome: String
    /// Under `retrain`: the devices that breached, the run and the canary deployment.
    public var retrain: AlertRetrain?
    public var firedAt: Date
    /// When the condition stopped holding; nil while it holds.
    public var resolvedAt: Date?

    public init(
        id: Int64, model: String, version: Int, rule: String, condition: MonitorCondition, threshold: Double,
        value: Double, action: MonitorAction, outcome: String, firedAt: Date, resolvedAt: Date?,
        retrain: AlertRetrain? = nil
    ) {
        self.retrain = retrain
        self.id = id
        self.model = model
        self.version = version
        self.rule = rule
        self.condition = condition
        self.threshold = threshold
        self.value = value
        self.action = action
        self.outcome = outcome
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
    }
}

public struct MonitorAlertList: Codable, Sendable, Equatable {
    public var alerts: [MonitorAlert]

    public init(alerts: [MonitorAlert]) { self.alerts = alerts }
}
