import StarlingCore
import StarlingProtocol
import Synchronization

/// The experiment the device takes part in, loaded: its candidates in memory beside the active
/// model, how requests are shared among them, and for bandits the feedback counted per arm.
public final class ExperimentSlot: Sendable {
    /// An experiment as the predictor uses it.
    public struct Loaded: Sendable {
        public let id: String
        public let mode: ExperimentMode
        public let candidates: [InstalledModel]
        /// A/B: the percentage of keys the candidate answers.
        public let split: Double
        /// Bandits: the fleet's prior counts per arm version.
        public let priors: [String: ArmPrior]

        /// Whether it applies while `active` serves: a version of the same model taking the same
        /// inputs, not a candidate.
        func applies(to active: InstalledModel) -> Bool {
            let width = active.int8.manifest.architecture.inputSize
            return candidates.allSatisfy {
                $0.name == active.name && $0.tag != active.tag && $0.int8.manifest.architecture.inputSize == width
            }
        }
    }

    private struct State {
        var loaded: Loaded?
        /// Bandits: this device's feedback per arm version since the experiment reached it.
        var counts: [String: (successes: Double, failures: Double)] = [:]
        var random: SeededRNG
    }

    private let state: Mutex<State>

    public init(seed: UInt64) {
        state = Mutex(State(loaded: nil, random: SeededRNG(seed: seed)))
    }

    public var current: Loaded? { state.withLock { $0.loaded } }

    /// Takes part in `loaded` (nil: in none); a new experiment starts its counts afresh.
    func set(_ loaded: Loaded?) {
        state.withLock { state in
            if state.loaded?.id != loaded?.id { state.counts = [:] }
            state.loaded = loaded
        }
    }

    /// The manifest of candidate `tag`, if the experiment holds it.
    func manifest(of tag: String) -> ModelManifest? {
        state.withLock { $0.loaded?.candidates.first { $0.tag == tag }?.manifest }
    }

    /// A bandit's choice among `arms` (version tags) by Thompson sampling on the fleet priors plus
    /// this device's counts.
    func chooseArm(_ arms: [String]) -> Int {
        state.withLock { state in
            let posteriors = arms.map { tag in
                let local = state.counts[tag] ?? (0, 0)
                let prior = state.loaded?.priors[tag]
                return (
                    successes: local.successes + (prior?.successes ?? 0),
                    failures: local.failures + (prior?.failures ?? 0)
                )
            }
            return ThompsonSampling.choose(posteriors, using: &state.random)
        }
    }

    /// Feedback on an answer arm `version` gave in `experiment`: a bandit's reward.
    func reward(experiment: String, version: String, correct: Bool) {
        state.withLock { state in
            guard state.loaded?.id == experiment, state.loaded?.mode == .bandit else { return }
            var count = state.counts[version] ?? (0, 0)
            if correct { count.successes += 1 } else { count.failures += 1 }
            state.counts[version] = count
        }
    }

    /// A/B routing: whether `key` goes to the candidate, by FNV-1a of its bytes, so a key always
    /// sees the same arm.
    static func routesToCandidate(key: String, split: Double) -> Bool {
        let hash = key.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        return Double(hash % 10_000) < split * 100
    }
}
