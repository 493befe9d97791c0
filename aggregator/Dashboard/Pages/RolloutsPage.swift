import StarlingProtocol

/// The newest deployments' rollouts: waves with the current one marked, where the targeted devices
/// stand (the health verdict), why a rollout halted, and, for callers whose role may steer
/// deployments, the pause, resume, abort and rollback buttons.
enum RolloutsPage {
    /// How many deployments the page lists.
    static let limit = 50
    /// Seconds between reloads while a rollout is live.
    static let refreshSeconds = 5

    static func render(_ deployments: [DeploymentInfo], canSteer: Bool, csrfToken: String) -> HTML {
        guard !deployments.isEmpty else { return "<p class=\"muted\">No deployment has been made yet.</p>" }
        let rows = HTML(joining: deployments.map { row($0, canSteer: canSteer, csrfToken: csrfToken) })
        let actions: HTML = canSteer ? "<th>Actions</th>" : .empty
        return """
            <table><thead><tr><th>Deployment</th><th>Version</th><th>Selector</th><th>State</th><th>Waves</th>\
            <th>Health</th>\(actions)</tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    /// Whether any rollout is still moving, so the page reloads itself.
    static func isLive(_ deployments: [DeploymentInfo]) -> Bool {
        deployments.contains { $0.state == .running }
    }

    /// The actions that make sense in `state`; the rollout itself has the last word (409 otherwise).
    static func actions(in state: DeploymentState) -> [String] {
        switch state {
        case .running: ["pause", "abort", "rollback"]
        case .paused, .halted: ["resume", "abort", "rollback"]
        case .completed: ["rollback"]
        case .aborted, .rolledBack, .superseded: []
        }
    }

    private static func row(_ deployment: DeploymentInfo, canSteer: Bool, csrfToken: String) -> HTML {
        let target = deployment.alias.map { "\(deployment.model)@\(deployment.version) (alias \($0))" }
        let reason = deployment.reason.map { reason -> HTML in "<br><span class=\"muted\">\(reason)</span>" } ?? .empty
        let cells: HTML = """
            <td><a href="\(DashboardPath.rollout(deployment.id))"><code>\(deployment.id)</code></a><br><span class="muted">\(deployment.strategy.rawValue) · \
            \(DashboardLayout.time(deployment.createdAt))</span></td>\
            <td>\(target ?? "\(deployment.model)@\(deployment.version)")</td>\
            <td>\(deployment.selector.description)</td>\
            <td><span class="\(stateClass(deployment.state))">\(deployment.state.rawValue)</span>\(reason)</td>\
            <td>\(waves(deployment))</td><td>\(health(deployment))</td>
            """
        guard canSteer else { return "<tr>\(cells)</tr>" }
        let buttons = HTML(
            joining: actions(in: deployment.state).map { action -> HTML in
                """
                <form method="post" action="\(DashboardPath.rolloutAction(deployment.id, action))" class="inline">\
                \(DashboardLayout.hiddenCSRF(csrfToken))<button type="submit">\(action)</button></form>
                """
            })
        return "<tr>\(cells)<td>\(buttons)</td></tr>"
    }

    private static func waves(_ deployment: DeploymentInfo) -> HTML {
        HTML(
            joining: deployment.waves.enumerated().map { index, percent -> HTML in
                let text = "\(DashboardLayout.number(percent, digits: 0))%"
                return index == deployment.currentWave ? "<span class=\"current\">\(text)</span> " : "\(text) "
            })
    }

    /// The verdict in words: how many of the targeted devices are healthy, failed, waiting or back
    /// on their previous version, against the failure rate that halts the rollout.
    private static func health(_ deployment: DeploymentInfo) -> HTML {
        let counts = deployment.counts
        let verdict: HTML =
            counts.failed > 0
            ? "<span class=\"bad\">\(counts.failed) failed</span>" : "<span class=\"ok\">no failures</span>"
        return """
            \(verdict) · \(counts.installed) of \(deployment.targeted) installed · \(counts.pending) pending · \
            \(counts.waiting) waiting · \(counts.rolledBack) rolled back<br><span class="muted">halts above \
            \(DashboardLayout.number(deployment.maxFailureRate * 100, digits: 1))% failed</span>
            """
    }

    private static func stateClass(_ state: DeploymentState) -> String {
        switch state {
        case .running, .completed: "ok"
        case .paused: "warn"
        case .halted, .aborted, .rolledBack: "bad"
        case .superseded: "muted"
        }
    }
}
