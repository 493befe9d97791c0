import Foundation
import SecureAggregation
import StarlingCore
import StarlingProtocol

/// What a device waits for between its secure-aggregation messages.
enum SecureReply: Codable, Sendable {
    case neighbourKeys(NeighbourKeys)
    case relayedShares(RelayedShares)
    case unmasking(UnmaskingRequest)
}

extension RunCoordinator {
    /// Sets up the secure aggregation of a freshly chosen cohort, or of a buffered secure run's
    /// group `session`; nil for plain runs.
    func secureRound(for run: ActiveRun, cohort: [String], session: Int) throws(SecureRoundError) -> SecureRound? {
        guard let plan = run.record.plan.secureAggregation else { return nil }
        let round = run.machine.round
        let layout: SecureVectorLayout
        switch run.record.plan.kind {
        case .train: layout = .training(parameterCount: run.architecture?.parameterCount ?? 0)
        case .evaluate: layout = .evaluation(classes: run.architecture?.outputSize ?? 0)
        case .statistics:
            guard let statistics = run.record.plan.statistics else { return nil }
            layout = .statistics(width: statistics.width, grid: statistics.grid)
        case .monitor:
            guard let monitor = run.record.plan.monitor else { return nil }
            layout = .monitor(empty: monitor.emptyWindow)
        }
        let grouped = session != RunMachine.roundSession
        return try SecureRound(
            plan: plan, cohort: cohort,
            sessionId: grouped ? "\(run.record.id)-g\(session)" : "\(run.record.id)-\(round).\(run.machine.attempt)",
            graphSeed: run.record.plan.seed &+ (UInt64(round) | UInt64(session) << 32) &* 0x9E37_79B9, layout: layout,
            minClients: run.record.plan.minClients, privacy: run.record.plan.userLevelPrivacy, openedAt: clock())
    }

    /// The secure session `device`'s message for `attempt` of `round` belongs to: the round's own,
    /// or the device's group in a buffered secure run. 409 `stage_restarted` for an earlier attempt
    /// of the round, or a group the device no longer belongs to: the aggregator started it again,
    /// and the device takes its new task from the watch.
    func session(
        runId: String, round: Int, attempt: Int, device: String
    ) async throws(APIError) -> (id: Int, secure: SecureRound) {
        // The secure stages are kept by the leader alone; the device sends it again and reaches it.
        guard store.leadership.isLeader else { throw .notLeader(Self.doesNotDriveRuns) }
        guard let run = runs[runId], let session = run.machine.secureSession(of: device, round: round),
            let secure = run.sessions[session.id]
        else {
            throw try await closedOrUnknown(runId: runId, round: round, device: device)
        }
        guard attempt == session.attempt else {
            throw .conflict(
                .stageRestarted,
                "this round's secure aggregation was started again as attempt \(session.attempt); take the new task from the watch"
            )
        }
        return (session.id, secure)
    }

    /// Takes one device's stage message for `attempt` of the round. Key advertisements also count
    /// as the device joining the round (or its group); a later stage closes as soon as every device
    /// that may answer it has.
    func receiveSecure(
        runId: String, round: Int, attempt: Int, device: String, message: SecAggClientMessage
    ) async throws(APIError) {
        guard store.leadership.isLeader else {
            return try await storeSecureMessage(
                runId: runId, round: round, attempt: attempt, device: device, stage: message.stage,
                client: message.client, body: try Self.json(of: message), masked: nil)
        }
        var (session, secure) = try await session(runId: runId, round: round, attempt: attempt, device: device)
        guard let seat = secure.seat(of: device) else { throw Self.notInCohort }
        guard message.client == seat.client else {
            throw .badRequest(
                .secaggInvalidMessage,
                "the message speaks for client \(message.client), but this device is client \(seat.client)")
        }
        let now = clock()
        // Taken out while it changes, so that the change is made in place: a copy of a cohort's
        // groups for each message made every message cost as much as the whole session. A message
        // it refuses is refused before it changes anything.
        runs[runId]?.sessions[session] = nil
        do {
            defer { runs[runId]?.sessions[session] = secure }
            try secure.receive(message, at: seat, now: now)
        }
        if case .advertisedKeys = message {
            await handle(runId) { $0.contributionStored(from: device, at: now) }
        } else if secure.stageComplete {
            await stageAnswered(runID: runId, session: session, at: now)
        }
    }

    /// A group the machine still has lost its secure aggregation here (it could not be set up): the
    /// group is dropped, so that the run never waits on it.
    private func sessionLost(runID: String, session: Int) async {
        guard session != RunMachine.roundSession, runs[runID]?.machine.secureGroups.group(id: session) != nil else {
            return
        }
        let now = clock()
        await handle(runID) { $0.secureGroupFailed(session, reason: "its secure aggregation is gone", at: now) }
    }

    /// Closes every secure stage that has gone quiet (``SecureRound/hasGoneQuiet(at:)``) as if
    /// every device it waits for had answered.
    func closeQuietStages(runID: String, at now: Date) async {
        for (session, secure) in runs[runID]?.sessions ?? [:] where secure.hasGoneQuiet(at: now) {
            await stageAnswered(runID: runID, session: session, at: now)
        }
    }

    /// Every device the session's open stage waits for has answered: the machine closes it.
    func stageAnswered(runID: String, session: Int, at now: Date) async {
        guard session == RunMachine.roundSession else {
            return await handle(runID) { $0.groupStageAnswered(session, at: now) }
        }
        await handle(runID) { $0.secureStageAnswered(at: now) }
    }

    /// The words of the masked input `device` sends for `attempt` of `round`: its group's vector
    /// length. Refused as the message itself would be when the device has no seat in the round.
    /// Taking the input looks the seat up again: the stage may have moved on while the body came.
    func maskedInputLength(runId: String, round: Int, attempt: Int, device: String) async throws(APIError) -> Int {
        guard store.leadership.isLeader else {
            return try await followedVectorLength(runId: runId, round: round, attempt: attempt, device: device)
        }
        let secure = try await session(runId: runId, round: round, attempt: attempt, device: device).secure
        guard let seat = secure.seat(of: device) else { throw Self.notInCohort }
        return secure.groups[seat.group].server.parameters.vectorLength
    }

    /// Takes a masked input, which travels as bare words: the device's index and the session
    /// come from the device's certificate and the round.
    func receiveMaskedInput(
        runId: String, round: Int, attempt: Int, device: String, vector: [UInt32], excluded: [Int]
    ) async throws(APIError) {
        guard store.leadership.isLeader else {
            return try await storeSecureMessage(
                runId: runId, round: round, attempt: attempt, device: device, stage: .maskedInput, client: nil,
                body: [], masked: (vector, excluded))
        }
        let secure = try await session(runId: runId, round: round, attempt: attempt, device: device).secure
        guard let seat = secure.seat(of: device) else { throw Self.notInCohort }
        let input = MaskedInput(
            roundId: secure.groups[seat.group].server.parameters.roundId, client: seat.client, vector: vector,
            excluded: excluded)
        try await receiveSecure(
            runId: runId, round: round, attempt: attempt, device: device, message: .maskedInput(input))
    }

    /// The aggregator's reply for `stage` (key sharing, masked input or unmasking) once the stage
    /// before it has closed, waiting up to `timeout`; 409 `secagg_pending` if it has not by then.
    func awaitSecureReply(
        runId: String, round: Int, attempt: Int, device: String, stage: SecAggStage, timeout: Duration,
        hold: HeldRequests.Hold
    ) async throws(APIError) -> SecureReply {
        let limit = ContinuousClock.now + timeout
        while true {
            let progress = await broadcaster.currentProgress
            let ready =
                store.leadership.isLeader
                ? try await secureReplyIfReady(
                    runId: runId, round: round, attempt: attempt, device: device, stage: stage)
                : try await followedSecureReply(
                    runId: runId, round: round, attempt: attempt, device: device, stage: stage)
            if let reply = ready { return reply }
            let remaining = limit - .now
            guard remaining > .zero else { throw Self.pending(stage) }
            let broadcaster = broadcaster
            await hold.wait { _ = await broadcaster.waitForProgress(from: progress, timeout: remaining) }
            guard await broadcaster.currentProgress != progress else { throw Self.pending(stage) }
        }
    }

    private static func pending(_ stage: SecAggStage) -> APIError {
        .conflict(.secaggPending, "the secure-aggregation stage \(stage.rawValue) has not started yet; ask again")
    }

    private func secureReplyIfReady(
        runId: String, round: Int, attempt: Int, device: String, stage: SecAggStage
    ) async throws(APIError) -> SecureReply? {
        let secure = try await session(runId: runId, round: round, attempt: attempt, device: device).secure
        guard let seat = secure.seat(of: device) else { throw Self.notInCohort }
        let group = secure.groups[seat.group]
        let server = group.server
        try SecureSessionView.check(
            stage, open: server.stage, dropped: group.dropped, expected: server.expected.contains(seat.client))
        guard server.stage == stage else { return nil }
        return secure.reply(at: seat)
    }

    /// Closes the SecAgg+ stage `session` is collecting, as the run's machine asked (every device
    /// answered, or its deadline passed); fails the round (or drops the group) when too few devices
    /// are left. The stage's duration and the devices it expected that did not answer go to the
    /// metrics.
    func closeSecureStage(runID: String, session: Int) async {
        let closing = runs[runID]?.sessions[session]?.stage
        await closeIntake(runID: runID, session: session)
        guard var secure = runs[runID]?.sessions[session] else {
            return await sessionLost(runID: runID, session: session)
        }
        // Taking the other replicas' last messages may have completed, and closed, the stage.
        guard secure.stage == closing else { return }
        let now = clock()
        let excluded = secure.excludedDevices
        if secure.stage == .maskedInput, !excluded.isEmpty {
            logger.warning(
                "devices dropped: a neighbour could not open their shares, or they refused a neighbour's",
                metadata: ["run": "\(runID)", "devices": "\(excluded)"])
        }
        if let stage = secure.stage {
            metrics.secureStageClosed(
                stage, seconds: now.timeIntervalSince(secure.stageOpenedAt), dropouts: secure.expected.silent)
        }
        do {
            logDropped(try secure.closeStage(now: now), runID: runID, session: session)
            if closing == .maskedInput {
                try await addMaskedSumsTakenElsewhere(&secure, runID: runID, session: session)
            }
        } catch {
            runs[runID]?.sessions[session] = nil
            guard session == RunMachine.roundSession else {
                return await handle(runID) { $0.secureGroupFailed(session, reason: "\(error)", at: now) }
            }
            return await handle(runID) { $0.secureAggregationFailed(reason: "\(error)") }
        }
        secure = droppingRevoked(secure)
        runs[runID]?.sessions[session] = secure
        logger.info(
            "secure aggregation stage closed",
            metadata: [
                "run": "\(runID)", "session": "\(session)",
                "next": "\(secure.stage?.rawValue ?? "unmasked")", "clients": "\(secure.expected.devices)",
                "groups": "\(secure.liveGroups.count)",
            ])
        await publishSession(runID: runID, session: session)
        // Only the devices waiting for this stage's reply need to wake: nothing a device acts on
        // changed (once key advertising closes the round's task leaves its cohort's desired state,
        // but the cohort already carries it out).
        await broadcaster.progressed()
        if secure.stage != nil, secure.stageComplete {
            await stageAnswered(runID: runID, session: session, at: now)
        }
    }

    /// Unmasks `session`'s sum and completes the round with what it stands for: a new version from
    /// the weighted average delta, a version's evaluation, or a feature profile. A buffered secure
    /// run's group steps the newest version by its average shortened by its staleness factor, as
    /// FedBuff weighs a buffer whose updates are all that many versions behind.
    func finishSecure(runID: String, session: Int) async {
        guard let run = runs[runID], let secure = run.sessions[session] else {
            return await sessionLost(runID: runID, session: session)
        }
        do throws(APIError) {
            let outcome = await Task.detached { Result { () throws(SecAggError) in try secure.unmaskedSum() } }.value
            let unmasked: SecureRound.Sum
            do {
                unmasked = try outcome.get()
            } catch {
                throw APIError.internal("secure aggregation failed: \(error)")
            }
            logDropped(unmasked.dropped, runID: runID, session: session)
            let (sum, survivors) = (unmasked.words, unmasked.survivors)
            switch run.record.plan.kind {
            case .train:
                var (delta, metrics) = try secure.average(sum: sum, survivors: survivors)
                if let group = run.machine.secureGroups.group(id: session) {
                    let factor = Float(StalenessWeight.factor(staleness: run.machine.round - group.round))
                    if factor < 1 { delta = delta.map { $0 * factor } }
                }
                try await step(run: run, averageDelta: delta, metrics: metrics, contributors: survivors)
            case .evaluate:
                try await evaluated(
                    run: run, figures: try secure.evaluation(sum: sum, survivors: survivors), devices: survivors)
            case .statistics:
                let (statistics, devices) = try secure.statistics(sum: sum)
                try await collected(run: run, statistics: statistics, devices: devices)
            case .monitor:
                let (window, devices) = try secure.monitorWindow(sum: sum)
                try await collected(run: run, window: window, devices: devices)
            }
        } catch {
            await aggregationFailed(runID: runID, error: error)
        }
    }

    /// The JSON of a stage message's content, as another replica stores it for the leader.
    private static func json(of message: SecAggClientMessage) throws(APIError) -> [UInt8] {
        do {
            let encoder = JSONEncoder()
            switch message {
            case .advertisedKeys(let keys): return Array(try encoder.encode(keys))
            case .sharedKeys(let shares): return Array(try encoder.encode(shares))
            case .revealedShares(let shares): return Array(try encoder.encode(shares))
            case .maskedInput: return []
            }
        } catch {
            throw .internal("cannot encode a secure message: \(error)")
        }
    }

    /// Logs the groups of a cohort dropped whole, and why.
    private func logDropped(_ groups: [(group: Int, reason: String)], runID: String, session: Int) {
        for (group, reason) in groups {
            logger.warning(
                "a group of the cohort was dropped whole",
                metadata: ["run": "\(runID)", "session": "\(session)", "group": "\(group)", "reason": "\(reason)"])
        }
    }
}
