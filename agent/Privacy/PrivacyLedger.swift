import Privacy
import StarlingProtocol
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// One private training run as the device's ledger keeps it: enough to recompute what it cost.
struct PrivacyRun: Sendable, Equatable {
    var runId: String
    var round: Int
    var samplingRate: Double
    var noiseMultiplier: Double
    var steps: Int
    var recordedAt: Date

    /// Whether both record the same round of the same run.
    func sameRound(as other: PrivacyRun) -> Bool { runId == other.runId && round == other.round }
}

/// The (ε, δ) a device lets its training spend over its lifetime, set on the agent's command line.
public struct PrivacyBudget: Sendable, Equatable {
    public var epsilon: Double
    public var delta: Double

    public init(epsilon: Double, delta: Double) {
        self.epsilon = epsilon
        self.delta = delta
    }
}

/// What the device's recorded private training has cost: the RDP composition of every run in the
/// ledger, converted to ε at the budget's δ. A run is recorded before it trains, so a crash
/// mid-training still counts it.
final class PrivacyLedger: Sendable {
    let store: AgentStore
    let budget: PrivacyBudget?
    /// Why the last private run was refused, until one is admitted again.
    private let refusal = Mutex<String?>(nil)
    /// Runs admitted by this process. Tasks of different runs are admitted concurrently; each is
    /// judged, under this lock, against the stored runs and every run admitted before it, so two
    /// admissions racing to the store cannot both spend the last of the budget.
    private let admitted = Mutex<[PrivacyRun]>([])

    init(store: AgentStore, budget: PrivacyBudget?) {
        self.store = store
        self.budget = budget
    }

    /// ε spent by `runs` at δ (0 for none).
    static func epsilon(of runs: [PrivacyRun], delta: Double) throws(PrivacyError) -> Double {
        guard !runs.isEmpty else { return 0 }
        let mechanisms = try runs.map { run throws(PrivacyError) in
            (
                try SampledGaussianMechanism(samplingRate: run.samplingRate, noiseMultiplier: run.noiseMultiplier),
                run.steps
            )
        }
        return try PrivacyAccountant.guarantee(of: mechanisms, delta: delta).epsilon
    }

    /// Records a private run of `steps` steps at sampling rate q and noise multiplier σ for `task` if
    /// the budget allows it, or refuses saying how much is spent. Local DP-SGD records its own q, σ
    /// and steps; a user-level round records one step at q = 1 with the round's σ, which bounds
    /// what the device's whole data can change and so any one of its examples too.
    func admit(samplingRate: Double, noiseMultiplier: Double, steps: Int, for task: RoundTask) async throws(AgentError)
    {
        let run = PrivacyRun(
            runId: task.runId, round: task.round, samplingRate: samplingRate,
            noiseMultiplier: noiseMultiplier, steps: steps, recordedAt: Date())
        if let budget {
            let recorded = try await store.privacyRuns()
            try admitted.withLock { admitted throws(AgentError) in
                let earlier = recorded + admitted.filter { run in !recorded.contains { $0.sameRound(as: run) } }
                let spent: Double
                let after: Double
                do throws(PrivacyError) {
                    spent = try Self.epsilon(of: earlier, delta: budget.delta)
                    after = try Self.epsilon(of: earlier + [run], delta: budget.delta)
                } catch {
                    throw .privacy(error.description)
                }
                guard after <= budget.epsilon else {
                    let reason =
                        "the device's privacy budget of ε = \(budget.epsilon) at δ = \(budget.delta) is spent up to "
                        + "\(Self.format(spent)); this round would bring it to \(Self.format(after))"
                    refusal.withLock { $0 = reason }
                    throw .privacy(reason)
                }
                admitted.append(run)
            }
        }
        try await store.recordPrivacyRun(run)
        refusal.withLock { $0 = nil }
    }

    /// The ledger as the local API's status shows it.
    func status() async throws(AgentError) -> PrivacyStatus {
        let runs = try await store.privacyRuns()
        let delta = budget?.delta ?? 1e-5
        do {
            return PrivacyStatus(
                budgetEpsilon: budget?.epsilon, delta: delta, spentEpsilon: try Self.epsilon(of: runs, delta: delta),
                runs: runs.count, refusal: refusal.withLock { $0 })
        } catch {
            throw .privacy(error.description)
        }
    }

    /// ε to three decimals.
    private static func format(_ epsilon: Double) -> String { "\((epsilon * 1000).rounded() / 1000)" }
}
