import StarlingProtocol

/// Follows a federated run through the admin API and reports each change once, so a command can
/// show live progress and stop when the run ends.
public struct RoundWatcher: Sendable {
    let client: AdminClient
    let roundId: String
    let interval: Duration

    public init(client: AdminClient, roundId: String, interval: Duration = .milliseconds(250)) {
        self.client = client
        self.roundId = roundId
        self.interval = interval
    }

    /// Calls `onChange` with every new state of the run and returns the final one.
    public func follow(
        _ onChange: (_ round: RoundInfo, _ finished: [RoundIterationInfo]) async throws(AdminError) -> Void
    ) async throws(AdminError) -> RoundInfo {
        var last: RoundInfo?
        var reported = Set<Int>()
        while true {
            let round = try await client.round(id: roundId)
            if round != last {
                let finished = round.iterations.filter { $0.state.isFinal && !reported.contains($0.iteration) }
                reported.formUnion(finished.map(\.iteration))
                try await onChange(round, finished)
                last = round
            }
            if round.state.isFinal { return round }
            try? await Task.sleep(for: interval)
        }
    }

    /// One line describing where a run stands.
    public static func progressLine(_ round: RoundInfo) -> String {
        guard let current = round.iterations.last else {
            return "\(round.id): \(round.state.rawValue), waiting for at least \(round.minClients) online devices"
        }
        return "\(round.id): round \(current.iteration)/\(round.totalRounds) \(current.state.rawValue), "
            + "\(current.updatesReceived)/\(current.cohortSize) updates"
    }

    /// One line describing a finished iteration.
    public static func iterationLine(_ iteration: RoundIterationInfo, of round: RoundInfo) -> String {
        var line = "round \(iteration.iteration)/\(round.totalRounds) \(iteration.state.rawValue)"
        if let version = iteration.producedVersion { line += ": version \(version)" }
        line += ", \(iteration.updatesReceived) of \(iteration.cohortSize) devices"
        if !iteration.failedClients.isEmpty {
            let reasons = Dictionary(grouping: iteration.failedClients, by: \.reason.rawValue)
                .map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
            line += " (failed: \(reasons))"
        }
        if let metrics = iteration.metrics {
            if let loss = metrics.trainLoss { line += ", train loss \(Format.fixed(loss))" }
            for clipped in metrics.clipped ?? [] {
                line += ", \(clipped.name) clipped on \(clipped.devices) devices"
            }
            if let accuracy = metrics.evalAccuracy { line += ", devices' eval accuracy \(Format.fixed(accuracy))" }
        }
        if let reason = iteration.failureReason { line += " (\(reason))" }
        return line
    }
}
