import Foundation
import StarlingCore
import StarlingProtocol

/// An experiment's arms and verdict from the windows its devices recorded as its arms.
///
/// Arms: per version, `control` (the devices' active versions), `candidate` (a candidate that
/// answered) or `shadow` (a shadow's answers, never returned). Verdicts compare accuracy on
/// feedback once every compared arm holds `minFeedback`: A/B tests and shadows the candidate with
/// the control pooled over its versions, by the two-proportion z-test at 5 %; bandits every arm by
/// the posterior probability that it is the best, a winner needing 95 % once the arms together hold
/// `minFeedback`.
enum ExperimentFigures {
    static func report(
        _ experiment: ExperimentRecord, windows: [(device: String, window: MonitorWindow)]
    ) -> ExperimentReport {
        let candidates = Set(experiment.candidates)
        var arms: [ArmFigures] = []
        let grouped = Dictionary(grouping: windows) { row in
            "\(VersionTag(row.window.version)?.version ?? 0) \(row.window.arm?.shadow == true)"
        }
        for rows in grouped.values {
            guard let first = rows.first, let version = VersionTag(first.window.version)?.version,
                let total = MonitorWindow.totals(rows.map(\.window)).values.first
            else { continue }
            let role =
                first.window.arm?.shadow == true ? "shadow" : candidates.contains(version) ? "candidate" : "control"
            arms.append(figures(of: total, role: role, version: version, devices: Set(rows.map(\.device)).count))
        }
        arms.sort { ($0.role, $0.version) < ($1.role, $1.version) }
        let served = arms.filter { $0.role != "shadow" }.map(\.requests).reduce(0, +)
        if experiment.mode == .bandit, served > 0 {
            for index in arms.indices { arms[index].trafficShare = Double(arms[index].requests) / Double(served) }
        }
        let verdict: ExperimentVerdict? =
            switch experiment.mode {
            case .bandit: banditVerdict(&arms, minFeedback: experiment.minFeedback)
            case .ab, .shadow:
                experiment.candidates.first.map {
                    zTestVerdict(
                        arms, candidate: $0, shadow: experiment.mode == .shadow, minFeedback: experiment.minFeedback)
                }
            }
        return ExperimentReport(
            mode: experiment.mode, candidates: experiment.candidates, split: experiment.split,
            minFeedback: experiment.minFeedback, arms: arms, verdict: verdict, promotedTo: experiment.promotedTo)
    }

    private static func figures(of total: MonitorWindow, role: String, version: Int, devices: Int) -> ArmFigures {
        let summary = MonitorReport.Version(summarising: total, reference: nil)
        var arm = ArmFigures(
            role: role, version: version, devices: devices, requests: total.requests, feedback: total.feedback,
            correct: total.correct)
        arm.accuracy = summary.accuracy
        if let interval = TwoProportionTest.wilson(successes: total.correct, trials: total.feedback) {
            (arm.accuracyLow, arm.accuracyHigh) = interval
        }
        arm.latencyP50Ms = summary.latencyP50Ms
        let answers = total.confidence.reduce(0, +)
        arm.confidentShare = answers > 0 ? Double(total.confidence.suffix(2).reduce(0, +)) / Double(answers) : nil
        if role == "shadow", total.requests > 0 {
            arm.agreement = Double(total.arm?.agreed ?? 0) / Double(total.requests)
        }
        return arm
    }

    /// The candidate (serving, or the shadow) against the control's versions pooled.
    private static func zTestVerdict(_ arms: [ArmFigures], candidate: Int, shadow: Bool, minFeedback: Int)
        -> ExperimentVerdict
    {
        let tried = arms.first { $0.version == candidate && $0.role == (shadow ? "shadow" : "candidate") }
        let control = arms.filter { $0.role == "control" }
        let (k1, n1) = (control.map(\.correct).reduce(0, +), control.map(\.feedback).reduce(0, +))
        let (k2, n2) = (tried?.correct ?? 0, tried?.feedback ?? 0)
        let name = "two-proportion z-test"
        guard n1 >= minFeedback, n2 >= minFeedback,
            let test = TwoProportionTest(
                controlSuccesses: k1, controlTrials: n1, candidateSuccesses: k2, candidateTrials: n2)
        else {
            return ExperimentVerdict(
                test: name, winner: "none", candidate: candidate, difference: nil, low: nil, high: nil, z: nil,
                pValue: nil,
                summary: "waiting for feedback: \(n1) on the control and \(n2) on the candidate of \(minFeedback) each")
        }
        let winner = test.pValue < 0.05 ? (test.difference > 0 ? "candidate" : "control") : "none"
        let interval = String(format: "%+.3f [%+.3f, %+.3f]", test.difference, test.low, test.high)
        let summary =
            switch winner {
            case "candidate": "version \(candidate) is more accurate by \(interval) (p = \(format(test.pValue)))"
            case "control": "version \(candidate) is less accurate by \(interval) (p = \(format(test.pValue)))"
            default: "no significant difference: \(interval) (p = \(format(test.pValue)))"
            }
        return ExperimentVerdict(
            test: name, winner: winner, candidate: candidate, difference: test.difference, low: test.low,
            high: test.high, z: test.z, pValue: test.pValue, summary: summary)
    }

    /// Each arm's probability of being the best; the winner is an arm at 95 % or more.
    private static func banditVerdict(_ arms: inout [ArmFigures], minFeedback: Int) -> ExperimentVerdict? {
        guard !arms.isEmpty else { return nil }
        // Seeded by the counts, so the same figures always give the same estimate.
        var random = SeededRNG(seed: arms.reduce(17) { $0 &* 31 &+ UInt64($1.correct) &* 7 &+ UInt64($1.feedback) })
        let chances = ThompsonSampling.probabilityBest(
            arms.map { (Double($0.correct), Double($0.feedback - $0.correct)) }, using: &random)
        for index in arms.indices { arms[index].probabilityBest = chances[index] }
        let best = arms.indices.max { chances[$0] < chances[$1] } ?? 0
        // The arms a bandit starves get little feedback by design: the posterior weighs that.
        let enough = arms.map(\.feedback).reduce(0, +) >= minFeedback
        let decided = enough && chances[best] >= 0.95
        let role = arms[best].role
        return ExperimentVerdict(
            test: "thompson posterior", winner: decided ? (role == "control" ? "control" : "candidate") : "none",
            candidate: arms[best].version, difference: nil, low: nil, high: nil, z: nil, pValue: nil,
            summary: decided
                ? "version \(arms[best].version) is the best arm with probability \(format(chances[best]))"
                : "version \(arms[best].version) leads with probability \(format(chances[best]))"
                    + (enough ? "" : "; waiting for \(minFeedback) feedback in all"))
    }

    private static func format(_ value: Double) -> String { String(format: "%.3g", value) }
}
