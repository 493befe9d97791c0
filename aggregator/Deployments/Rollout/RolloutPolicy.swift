import Foundation
import StarlingProtocol

/// How an operator wants a model version rolled out across a fleet: in which cumulative waves, how long
/// each wave bakes before the next starts, how many failing devices halt it, and what makes one device's
/// smoke test unhealthy. ``RolloutMachine`` enforces it; ``validate()`` rejects a policy it could not.
struct RolloutPolicy: Codable, Sendable, Equatable {
    /// How the targets are split into waves: `all` and `pinned` are one wave of 100 %, `canary`
    /// cumulative waves of growing size (the API's ``DeploymentStrategy``).
    typealias Strategy = DeploymentStrategy

    /// The limits one device's smoke test must stay within, mostly against the version it replaced.
    struct HealthThresholds: Codable, Sendable, Equatable {
        /// How far accuracy may fall below the replaced version's (0.05 = 5 points).
        var maxAccuracyDrop: Double
        /// The highest error rate the new version may show.
        var maxErrorRate: Double
        /// How far the phase-two escalation rate may rise above the replaced version's.
        var maxEscalationIncrease: Double
        /// The largest multiple of the replaced version's p50 phase-one latency the new version may take.
        var maxLatencyRatio: Double
    }

    var strategy: Strategy
    /// Cumulative percentages of the targets each wave holds, e.g. [5, 25, 100]; [100] for `all` and `pinned`.
    var waves: [Double]
    /// Seconds a wave runs before the next may start.
    var bakeSeconds: Double
    /// The share of assigned devices that may fail; one more failure halts the rollout and reverts it.
    var maxFailureRate: Double
    /// Seconds after its assignment a device that has not reported counts as offline, so it no longer holds
    /// its wave back; it keeps its assignment and is never counted as failed for its silence.
    var offlineAfterSeconds: Double
    var health: HealthThresholds

    init(
        strategy: Strategy, waves: [Double] = [100], bakeSeconds: Double, maxFailureRate: Double,
        offlineAfterSeconds: Double, health: HealthThresholds
    ) {
        self.strategy = strategy
        self.waves = waves
        self.bakeSeconds = bakeSeconds
        self.maxFailureRate = maxFailureRate
        self.offlineAfterSeconds = offlineAfterSeconds
        self.health = health
    }

    /// Throws the first rule the policy breaks.
    func validate() throws(RolloutPolicyError) {
        guard let last = waves.last else { throw .noWaves }
        if strategy != .canary, waves != [100] { throw .singleWaveStrategy(strategy, waves: waves) }
        for (previous, next) in zip([0] + waves, waves) {
            guard next > 0, next <= 100 else { throw .waveOutOfRange(next) }
            guard next > previous else { throw .wavesNotIncreasing(previous: previous, next: next) }
        }
        guard last == 100 else { throw .lastWaveNotComplete(last) }
        for (name, seconds) in [("bake time", bakeSeconds), ("offline time", offlineAfterSeconds)] {
            guard seconds >= 0, seconds.isFinite else { throw .invalidDuration(name, seconds) }
        }
        let rates: [(RolloutPolicyError.Rate, Double)] = [
            (.maxFailureRate, maxFailureRate), (.maxAccuracyDrop, health.maxAccuracyDrop),
            (.maxErrorRate, health.maxErrorRate), (.maxEscalationIncrease, health.maxEscalationIncrease),
        ]
        for (rate, value) in rates where !(value >= 0 && value <= 1) { throw .rateOutOfRange(rate, value) }
        guard health.maxLatencyRatio > 0, health.maxLatencyRatio.isFinite else {
            throw .invalidLatencyRatio(health.maxLatencyRatio)
        }
    }

    /// How many of `deviceCount` targets each wave holds, cumulatively: ⌈p_k / 100 · N⌉, at least 1 when N > 0.
    func cumulativeWaveSizes(deviceCount: Int) -> [Int] {
        waves.map { percent in
            let exact = percent * Double(deviceCount) / 100
            return min(deviceCount, max(deviceCount > 0 ? 1 : 0, Int((exact - 1e-9).rounded(.up))))
        }
    }

    /// How many failed devices among `assigned` the policy tolerates: ⌊maxFailureRate · assigned⌋.
    func toleratedFailures(among assigned: Int) -> Int {
        Int((maxFailureRate * Double(assigned) + 1e-9).rounded(.down))
    }

    /// A number as people write it in a sentence: 0.05, 0.81, 1.5, 250.
    static func text(_ value: Double) -> String {
        value.magnitude >= 1000 ? String(format: "%.0f", value) : String(format: "%.4g", value)
    }
}

/// Why a ``RolloutPolicy`` cannot be run; each case describes itself in one sentence for the API's answer.
enum RolloutPolicyError: Error, Equatable, CustomStringConvertible {
    /// A policy limit that must lie in [0, 1].
    enum Rate: String, Sendable {
        case maxFailureRate = "the max failure rate"
        case maxAccuracyDrop = "the max accuracy drop"
        case maxErrorRate = "the max error rate"
        case maxEscalationIncrease = "the max escalation-rate increase"
    }

    /// The policy lists no wave.
    case noWaves
    /// `all` and `pinned` were given waves other than [100].
    case singleWaveStrategy(RolloutPolicy.Strategy, waves: [Double])
    /// A wave percentage is not in (0, 100].
    case waveOutOfRange(Double)
    /// A wave is not larger than the one before it.
    case wavesNotIncreasing(previous: Double, next: Double)
    /// The last wave does not reach every target.
    case lastWaveNotComplete(Double)
    /// The bake time or offline time is negative or not finite.
    case invalidDuration(String, Double)
    /// A rate limit is outside [0, 1].
    case rateOutOfRange(Rate, Double)
    /// The latency ratio limit is not a positive number.
    case invalidLatencyRatio(Double)

    var description: String {
        switch self {
        case .noWaves:
            "a rollout needs at least one wave"
        case .singleWaveStrategy(let strategy, let waves):
            "the \(strategy.rawValue) strategy rolls out in one wave of 100 %, so its waves must be [100], not "
                + "[\(waves.map(RolloutPolicy.text).joined(separator: ", "))]"
        case .waveOutOfRange(let wave):
            "every wave must be above 0 % and at most 100 %, but one is \(RolloutPolicy.text(wave)) %"
        case .wavesNotIncreasing(let previous, let next):
            "waves must grow strictly, but \(RolloutPolicy.text(next)) % follows \(RolloutPolicy.text(previous)) %"
        case .lastWaveNotComplete(let last):
            "the last wave must reach 100 % of the targets, not \(RolloutPolicy.text(last)) %"
        case .invalidDuration(let name, let seconds):
            "the \(name) must be a finite number of seconds, 0 or more, not \(RolloutPolicy.text(seconds))"
        case .rateOutOfRange(let rate, let value):
            "\(rate.rawValue) must be between 0 and 1, not \(RolloutPolicy.text(value))"
        case .invalidLatencyRatio(let ratio):
            "the max latency ratio must be a finite number above 0, not \(RolloutPolicy.text(ratio))"
        }
    }
}
