import StarlingAdmin
import StarlingProtocol

/// How `starling deploy status` and the rollout controls print a deployment: the header, the waves
/// with the current one marked, the counts per state and a progress bar.
enum DeploymentView {
    static func render(_ deployment: DeploymentInfo) -> String {
        let counts = deployment.counts
        var lines = [
            "\(deployment.id): \(deployment.model) v\(deployment.version)"
                + (deployment.alias.map { " (alias \($0))" } ?? "")
                + " to \(deployment.selector), \(deployment.strategy.rawValue), \(deployment.state.rawValue)"
                + (deployment.reason.map { ": \($0)" } ?? "")
        ]
        if let experiment = deployment.experiment {
            lines += experimentLines(experiment)
            return lines.joined(separator: "\n")
        }
        if deployment.waves.count > 1 {
            let waves = deployment.waves.enumerated().map { index, percent in
                let text = "\(Format.fixed(percent, digits: 0))%"
                return index == deployment.currentWave ? "[\(text)]" : text
            }
            lines.append(
                "  waves \(waves.joined(separator: " → ")), bake \(Format.fixed(deployment.bakeSeconds, digits: 0)) s")
        }
        lines.append(
            "  \(deployment.targeted) devices: installed \(counts.installed), pending \(counts.pending), failed \(counts.failed), "
                + "rolled back \(counts.rolledBack), waiting \(counts.waiting)")
        lines.append("  " + progressBar(done: counts.installed, of: deployment.targeted))
        return lines.joined(separator: "\n")
    }

    /// An experiment's arms, one line each, and its verdict.
    static func experimentLines(_ experiment: ExperimentReport) -> [String] {
        var lines = [
            "  \(experiment.mode.rawValue) experiment of versions \(experiment.candidates.map(String.init).joined(separator: ", "))"
                + (experiment.split.map { ", \(Format.fixed($0, digits: 0))% of keys to the candidate" } ?? "")
        ]
        for arm in experiment.arms {
            var figures = [
                "\(arm.devices) devices", "\(arm.requests) answers",
                "accuracy " + (arm.accuracy.map { "\(Format.fixed($0)) (\(arm.correct)/\(arm.feedback))" } ?? "-"),
                "p50 " + (arm.latencyP50Ms.map { "\(Format.fixed($0)) ms" } ?? "-"),
            ]
            if let agreement = arm.agreement { figures.append("agreement \(Format.fixed(agreement))") }
            if let share = arm.trafficShare { figures.append("traffic \(Format.fixed(share))") }
            if let best = arm.probabilityBest { figures.append("P(best) \(Format.fixed(best))") }
            lines.append("  \(arm.role) v\(arm.version): " + figures.joined(separator: ", "))
        }
        if let verdict = experiment.verdict {
            lines.append("  verdict (\(verdict.test)): \(verdict.winner) — \(verdict.summary)")
        }
        if let promoted = experiment.promotedTo { lines.append("  promoted in \(promoted)") }
        return lines
    }

    /// `[#######-------------] 35%`.
    static func progressBar(done: Int, of total: Int, width: Int = 30) -> String {
        let share = total > 0 ? Double(done) / Double(total) : 1
        let filled = Int((share * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + "\(Int((share * 100).rounded(.down)))%"
    }
}
