import Foundation
import SecureAggregation
import StarlingCore
import StarlingProtocol

/// What a device waits for between its secure-aggregation messages.
enum SecureReply: Sendable {
    case neighbourKeys(NeighbourKeys)
    case relayedShares(RelayedShares)
    case unmasking(UnmaskingRequest)
}

extension RunCoordinator {
    /// Sets up the secure aggregation of a freshly chosen cohort; nil for plain runs.
    func secureRound(for run: ActiveRun, cohort: [String]) throws(SecureRoundError) -> SecureRound? {
        guard let plan = run.record.plan.secureAggregation else { return nil }
        let round = run.machine.round
        let layout: SecureVectorLayout
        switch run.record.plan.kind {
        case .train: layout = .training(parameterCount: run.architecture?.parameterCount ?? 0)
        case .evaluate: layout = .evaluation(classes: run.architecture?.outputSize ?? 0)
        case .statistics:
            guard let statistics = run.record.plan.statistics else { return nil }
            layout = .statistics(width: statistics.width, grid: statistics.grid)
        }
        return try SecureRound(
            plan: plan, cohort: cohort, sessionId: "\(run.record.id)-\(round).\(run.machine.attempt)",
            graphSeed: run.record.plan.seed &+ UInt64(round) &* 0x9E37_79B9, layout: layout,
            minClients: run.record.plan.minClients, privacy: run.record.plan.userLevelPrivacy, openedAt: clock())
    }

    /// Takes one device's stage message for `attempt` of the round. Key advertisements also count
    /// as the device joining the round; a later stage closes as soon as every device that may answer
    /// it has.
    func receiveSecure(
        runId: String, round: Int, attempt: Int, device: String, message: SecAggClientMessage
    ) async throws(APIError) {
        guard var run = runs[runId], run.machine.round == round, var secure = run.secure else {
            throw try await closedOrUnknown(runId: runId, round: round, device: device)
        }
        try Self.check(attempt: attempt, of: run.machine)
        guard let index = secure.index(of: device) else { throw Self.notInCohort }
        guard message.client == index else {
            throw .badRequest(
                .secaggInvalidMessage,
                "the message speaks for client \(message.client), but this device is client \(index)")
        }
        do {
            try secure.server.receive(message)
        } catch {
            throw APIError(error)
        }
        run.secure = secure
        runs[runId] = run
        let now = clock()
        if case .advertisedKeys = message {
            await handle(runId) { $0.contributionStored(from: device, at: now) }
        } else if secure.server.stageComplete {
            await handle(runId) { $0.secureStageAnswered(at: now) }
        }
    }

    /// 409 `stage_restarted` for a message or request of an earlier attempt of the round: the
    /// aggregator restarted and does the round again; the device takes its new task from the watch.
    private static func check(attempt: Int, of machine: RunMachine) throws(APIError) {
        guard attempt == machine.attempt else {
            throw .conflict(
                .stageRestarted,
                "this round was started again as attempt \(machine.attempt) after the aggregator restarted; take the new task from the watch"
            )
        }
    }

    /// Takes a masked input, which travels as bare words: the device's index and the session
    /// come from the device's certificate and the round.
    func receiveMaskedInput(
        runId: String, round: Int, attempt: Int, device: String, vector: [UInt32], excluded: [Int]
    ) async throws(APIError) {
        guard let run = runs[runId], run.machine.round == round, let secure = run.secure else {
            throw try await closedOrUnknown(runId: runId, round: round, device: device)
        }
        try Self.check(attempt: attempt, of: run.machine)
        guard let index = secure.index(of: device) else { throw Self.notInCohort }
        let input = MaskedInput(
            roundId: secure.server.parameters.roundId, client: index, vector: vector, excluded: excluded)
        try await receiveSecure(
            runId: runId, round: round, attempt: attempt, device: device, message: .maskedInput(input))
    }

    /// The aggregator's reply for `stage` (key sharing, masked input or unmasking) once the stage
    /// before it has closed, waiting up to `timeout`; 409 `secagg_pending` if it has not by then.
    func awaitSecureReply(
        runId: String, round: Int, attempt: Int, device: String, stage: SecAggStage, timeout: Duration
    ) async throws(APIError) -> SecureReply {
        let limit = ContinuousClock.now + timeout
        while true {
            let revision = await broadcaster.current
            if let reply = try await secureReplyIfReady(
                runId: runId, round: round, attempt: attempt, device: device, stage: stage)
            {
                return reply
            }
            let remaining = limit - .now
            guard remaining > .zero, await broadcaster.waitForChange(from: revision, timeout: remaining) != revision
            else {
                throw .conflict(
                    .secaggPending, "the secure-aggregation stage \(stage.rawValue) has not started yet; ask again")
            }
        }
    }

    private func secureReplyIfReady(
        runId: String, round: Int, attempt: Int, device: String, stage: SecAggStage
    ) async throws(APIError) -> SecureReply? {
        guard let run = runs[runId], run.machine.round == round, let secure = run.secure else {
            throw try await closedOrUnknown(runId: runId, round: round, device: device)
        }
        try Self.check(attempt: attempt, of: run.machine)
        guard let index = secure.index(of: device) else { throw Self.notInCohort }
        guard let current = secure.server.stage, current >= stage else {
            guard secure.server.stage != nil else { throw Self.closed }
            return nil
        }
        guard current == stage else {
            throw .conflict(.secaggWrongStage, "the secure-aggregation stage \(stage.rawValue) has already closed")
        }
        guard secure.server.expected.contains(index) else {
            throw .conflict(
                .secaggDropped, "this device missed an earlier stage and takes no further part in this round")
        }
        switch stage {
        case .advertiseKeys: return nil
        case .shareKeys: return .neighbourKeys(secure.server.neighbourKeys(for: index))
        case .maskedInput: return .relayedShares(secure.server.relayedShares(for: index))
        case .unmasking: return .unmasking(secure.server.unmaskingRequest())
        }
    }

    /// Closes the SecAgg+ stage being collected, as the run's machine asked (every device answered,
    /// or its deadline passed); fails the round when too few devices are left. The stage's duration
    /// and the devices it expected that did not answer go to the metrics.
    func closeSecureStage(runID: String) async {
        guard var run = runs[runID], var secure = run.secure else { return }
        let now = clock()
        let excluded = secure.server.excludedClients
        if secure.server.stage == .maskedInput, !excluded.isEmpty {
            logger.warning(
                "devices dropped: a neighbour could not open their shares, or they refused a neighbour's",
                metadata: ["run": "\(runID)", "devices": "\(excluded.sorted().map { secure.cohort[$0] })"])
        }
        if let stage = secure.server.stage {
            let dropouts = secure.server.expected.count - secure.server.answered.count
            metrics.secureStageClosed(stage, seconds: now.timeIntervalSince(secure.stageOpenedAt), dropouts: dropouts)
        }
        do {
            try secure.closeStage(now: now)
        } catch {
            run.secure = nil
            runs[runID] = run
            return await handle(runID) { $0.secureAggregationFailed(reason: "\(error)") }
        }
        secure = droppingRevoked(secure)
        run.secure = secure
        runs[runID] = run
        logger.info(
            "secure aggregation stage closed",
            metadata: [
                "run": "\(runID)", "next": "\(secure.server.stage?.rawValue ?? "unmasked")",
                "clients": "\(secure.server.expected.count)",
            ])
        await broadcaster.bump()
        if secure.server.stage != nil, secure.server.stageComplete {
            await handle(runID) { $0.secureStageAnswered(at: now) }
        }
    }

    /// Unmasks the sum and completes the round with what it stands for: a new version from the
    /// weighted average delta, a version's evaluation, or a feature profile.
    func finishSecure(runID: String) async {
        guard let run = runs[runID], let secure = run.secure else { return }
        let server = secure.server
        let survivors = server.survivors.count
        do throws(APIError) {
            let outcome = await Task.detached { Result { () throws(SecAggError) in try server.unmaskedSum() } }.value
            let sum: [UInt32]
            do {
                sum = try outcome.get()
            } catch {
                throw APIError.internal("secure aggregation failed: \(error)")
            }
            switch run.record.plan.kind {
            case .train:
                let (delta, metrics) = try secure.average(sum: sum, survivors: survivors)
                try await step(run: run, averageDelta: delta, metrics: metrics, contributors: survivors)
            case .evaluate:
                try await evaluated(
                    run: run, figures: try secure.evaluation(sum: sum, survivors: survivors), devices: survivors)
            case .statistics:
                let (statistics, devices) = try secure.statistics(sum: sum)
                try await collected(run: run, statistics: statistics, devices: devices)
            }
        } catch {
            await aggregationFailed(runID: runID, error: error)
        }
    }
}
