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

    /// `[#######-------------] 35%`.
    static func progressBar(done: Int, of total: Int, width: Int = 30) -> String {
        let share = total > 0 ? Double(done) / Double(total) : 1
        let filled = Int((share * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + "\(Int((share * 100).rounded(.down)))%"
    }
}
