import StarlingProtocol

/// One deployment: the rollouts page's row for it, and its history (waves started, devices failed,
/// halts, operators' actions), newest first.
enum RolloutPage {
    static func render(
        _ deployment: DeploymentInfo, events: DeploymentEventList, canSteer: Bool, csrfToken: String
    ) -> HTML {
        let rows = HTML(
            joining: events.events.reversed().map { event -> HTML in
                "<tr><td>\(DashboardLayout.time(event.at))</td><td>\(event.message)</td></tr>"
            })
        let history: HTML =
            events.events.isEmpty
            ? "<p class=\"muted\">Nothing has happened yet.</p>"
            : "<table><thead><tr><th>When</th><th>What</th></tr></thead><tbody>\(rows)</tbody></table>"
        return """
            \(RolloutsPage.render([deployment], canSteer: canSteer, csrfToken: csrfToken))
            <h2>History</h2>
            \(history)
            """
    }
}
