import StarlingProtocol

/// Follows a federated run through the admin API and reports each change once, so a command can
/// show live progress and stop when the run ends.
public struct RunWatcher: Sendable {
    let client: AdminClient
    let runId: String
    let interval: Duration

    public init(client: AdminClient, runId: String, interval: Duration = .milliseconds(250)) {
        self.client = client
        self.runId = runId
        self.interval = interval
    }

    /// Calls `onChange` with every new state of the run and returns the final one.
    public func follow(
        _ onChange: (_ run: RunInfo, _ finished: [RoundInfo]) async throws(AdminError) -> Void
    ) async throws(AdminError) -> RunInfo {
        var last: RunInfo?
        var reported = Set<Int>()
        while true {
            let run = try await client.run(id: runId)
            if run != last {
                let finished = run.rounds.filter { $0.state.isFinal && !reported.contains($0.round) }
                reported.formUnion(finished.map(\.round))
                try await onChange(run, finished)
                last = run
            }
            if run.state.isFinal { return run }
            try? await Task.sleep(for: interval)
        }
    }

    /// One line describing where a run stands.
    public static func progressLine(_ run: RunInfo) -> String {
        guard let current = run.rounds.last else {
            return "\(run.id): \(run.state.rawValue), waiting for at least \(run.minClients) online devices"
        }
        return "\(run.id): round \(current.round)/\(run.totalRounds) \(current.state.rawValue), "
            + "\(current.updatesReceived)/\(current.cohortSize) updates"
    }

    /// One line describing a finished round.
    public static func roundLine(_ round: RoundInfo, of run: RunInfo) -> String {
        var line = "round \(round.round)/\(run.totalRounds) \(round.state.rawValue)"
        if let version = round.producedVersion { line += ": version \(version)" }
        line += ", \(round.updatesReceived) of \(round.cohortSize) devices"
        if round.attempt > 1 { line += " (attempt \(round.attempt) after a restart)" }
        if !round.failedClients.isEmpty {
            let reasons = Dictionary(grouping: round.failedClients, by: \.reason.rawValue)
                .map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
            line += " (failed: \(reasons))"
        }
        if let metrics = round.metrics {
            if let loss = metrics.trainLoss { line += ", train loss \(Format.fixed(loss))" }
            for clipped in metrics.clipped ?? [] {
                line += ", \(clipped.name) clipped on \(clipped.devices) devices"
            }
            if let accuracy = metrics.evalAccuracy { line += ", devices' eval accuracy \(Format.fixed(accuracy))" }
        }
        if let reason = round.failureReason { line += " (\(reason))" }
        return line
    }
}
