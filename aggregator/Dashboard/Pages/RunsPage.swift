import StarlingProtocol

/// The newest runs: each run's state and progress through its rounds, the round in progress with
/// its cohort and uploads, and charts of the federated metrics of the versions it made.
enum RunsPage {
    /// How many runs the page lists.
    static let limit = 20
    /// Seconds between reloads while a run is live.
    static let refreshSeconds = 5

    static func render(_ runs: [RunInfo]) -> HTML {
        guard !runs.isEmpty else { return "<p class=\"muted\">No round has been started yet.</p>" }
        return HTML(joining: runs.map(section))
    }

    /// Whether any run is still going, so the page reloads itself.
    static func isLive(_ runs: [RunInfo]) -> Bool { runs.contains { !$0.state.isFinal } }

    private static func section(_ run: RunInfo) -> HTML {
        let finished = run.rounds.filter { $0.state == .completed }.count
        let current = run.rounds.last { !$0.state.isFinal }
        let progress: HTML =
            current.map { round -> HTML in
                """
                round \(round.round) of \(run.totalRounds) is \(round.state.rawValue): \
                \(round.updatesReceived) of \(round.cohortSize) updates received
                """
            } ?? "\(finished) of \(run.totalRounds) rounds completed"
        let privacy = run.privacy.map { " · DP \($0.mode.rawValue) ε \(DashboardLayout.number($0.epsilon, digits: 2))" }
        let failure = run.failureReason.map { reason -> HTML in "<p class=\"bad\">\(reason)</p>" } ?? .empty
        let loss = MetricsChart(
            title: "training loss",
            points: run.rounds.compactMap { round in
                round.metrics?.trainLoss.map { (round.round, $0) }
            })
        let accuracy = MetricsChart(
            title: "evaluation accuracy",
            points: run.rounds.compactMap { round in
                round.metrics?.evalAccuracy.map { (round.round, $0) }
            })
        return """
            <h2><code>\(run.id)</code> · \(subject(run)) · \
            <span class="\(stateClass(run.state))">\(run.state.rawValue)</span></h2>
            <p>\(progress) · up to \(run.clients) devices a round (at least \(run.minClients))\
            \(run.secureAggregation ? " · secure aggregation" : "")\(privacy ?? "") · \
            started \(DashboardLayout.time(run.createdAt))</p>\(failure)
            <div class="charts">\(accuracy.svg)\(loss.svg)</div>
            """
    }

    /// What the run is about: the model it trains or evaluates, or the profile a statistics run made.
    private static func subject(_ run: RunInfo) -> String {
        guard run.kind == .statistics else { return "\(run.kind.rawValue) of \(run.model)" }
        return run.profile.map { "statistics for profile \($0.name) v\($0.version)" } ?? "statistics"
    }

    private static func stateClass(_ state: RoundState) -> String {
        switch state {
        case .completed: "ok"
        case .failed: "bad"
        default: "warn"
        }
    }
}
