import Foundation

/// What one device tells a rollout about the version it was assigned: whether the install worked and, if it
/// did, how the new version did on the device's own held-out samples next to the version it replaced. The
/// device measures; ``RolloutPolicy/judge(_:)`` decides, so every device is held to the operator's limits.
struct DeviceHealthReport: Codable, Sendable, Equatable {
    /// The outcome of installing the version.
    enum Installation: Codable, Sendable, Equatable {
        case ok
        case failed(reason: String)
    }

    /// The smoke test's figures for the version the device ran before; the rates are nil when unknown.
    struct ReplacedVersion: Codable, Sendable, Equatable {
        var accuracy: Double
        var phaseOneLatencyP50Ms: Double
        var errorRate: Double?
        var escalationRate: Double?
    }

    /// The smoke test: both versions run on the same held-out samples.
    struct SmokeTest: Codable, Sendable, Equatable {
        var samples: Int
        var accuracy: Double
        var phaseOneLatencyP50Ms: Double
        var errorRate: Double
        /// The share of samples phase one escalated to phase two.
        var escalationRate: Double
        /// Nil when the device had no version before.
        var replaced: ReplacedVersion?
    }

    var installation: Installation
    /// Present when the installation succeeded.
    var smokeTest: SmokeTest?

    /// The policy's judgement of one report, with the reason when it is unhealthy.
    enum Verdict: Sendable, Equatable {
        case healthy
        case unhealthy(reason: String)
    }
}

extension RolloutPolicy {
    /// Judges `report` against the health thresholds; the reason names the first limit it breaks. A
    /// report without a smoke test (the device holds no held-out samples) is judged on the installation.
    func judge(_ report: DeviceHealthReport) -> DeviceHealthReport.Verdict {
        if case .failed(let reason) = report.installation {
            return .unhealthy(reason: "the installation failed: \(reason)")
        }
        // A device with no held-out samples cannot run a smoke test: it is judged on its installation.
        guard let test = report.smokeTest, test.samples > 0 else { return .healthy }
        if exceeds(test.errorRate, health.maxErrorRate) {
            return .unhealthy(
                reason: "error rate \(Self.text(test.errorRate)) is above the policy's limit of "
                    + "\(Self.text(health.maxErrorRate))")
        }
        guard let old = test.replaced else { return .healthy }
        let drop = old.accuracy - test.accuracy
        if exceeds(drop, health.maxAccuracyDrop) {
            return .unhealthy(
                reason: "accuracy \(Self.text(test.accuracy)) is \(Self.text(drop)) below the replaced version's "
                    + "\(Self.text(old.accuracy)); the policy allows \(Self.text(health.maxAccuracyDrop))")
        }
        if let oldRate = old.escalationRate, exceeds(test.escalationRate - oldRate, health.maxEscalationIncrease) {
            return .unhealthy(
                reason: "phase-two escalation rate \(Self.text(test.escalationRate)) is "
                    + "\(Self.text(test.escalationRate - oldRate)) above the replaced version's \(Self.text(oldRate)); "
                    + "the policy allows \(Self.text(health.maxEscalationIncrease))")
        }
        if old.phaseOneLatencyP50Ms > 0,
            exceeds(test.phaseOneLatencyP50Ms / old.phaseOneLatencyP50Ms, health.maxLatencyRatio)
        {
            return .unhealthy(
                reason: "p50 phase-one latency \(Self.text(test.phaseOneLatencyP50Ms)) ms is "
                    + "\(Self.text(test.phaseOneLatencyP50Ms / old.phaseOneLatencyP50Ms))× the replaced version's "
                    + "\(Self.text(old.phaseOneLatencyP50Ms)) ms; the policy allows "
                    + "\(Self.text(health.maxLatencyRatio))×")
        }
        return .healthy
    }

    /// Whether `value` is above `limit` by more than rounding (0.93 − 0.88 is a drop of 0.05, not 0.0500…04).
    private func exceeds(_ value: Double, _ limit: Double) -> Bool {
        !(value <= limit + 1e-9)
    }
}
