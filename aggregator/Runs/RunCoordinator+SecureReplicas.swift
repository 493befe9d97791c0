import Foundation
import SecureAggregation
import StarlingProtocol

/// Secure rounds across replicas sharing a database. The leader keeps every session's SecAgg+
/// servers and publishes each session's view (``SecureSessionView``) when it starts and at every
/// stage's close. A replica that does not lead hands out the session's tasks and replies from the
/// view, and stores the stage messages devices send it, admitted against the published stage in
/// the same transaction; the masked inputs it takes go into its own sum for the device's group.
/// The leader takes the stored messages into its servers as they come (``synchronize()``), and
/// before closing a stage it stops the others' intake and takes what is left, so nothing a device
/// was told was accepted is missed; when the masked-input stage closes it adds the replicas' sums
/// of their survivors' inputs to its own.
extension RunCoordinator {
    /// Whether other replicas may serve secure sessions: on a database they can share.
    var sharesSessions: Bool { store.engine.dialect == .postgresql }

    /// Where a session of a run is in the database.
    func sessionKey(_ run: ActiveRun, session: Int) -> SecureSessionKey? {
        guard session != RunMachine.roundSession else {
            return SecureSessionKey(
                runId: run.record.id, round: run.machine.round, session: session, attempt: run.machine.attempt)
        }
        guard let group = run.machine.secureGroups.group(id: session) else { return nil }
        return SecureSessionKey(runId: run.record.id, round: group.round, session: session, attempt: group.id)
    }

    /// The leader publishes a session's view for the other replicas.
    func publishSession(runID: String, session: Int) async {
        guard sharesSessions, let run = runs[runID], let secure = run.sessions[session],
            let key = sessionKey(run, session: session)
        else { return }
        do {
            try await store.publish(secure.view(attempt: key.attempt, round: key.round), key: key)
        } catch {
            logger.error("cannot publish a secure session", metadata: ["run": "\(runID)", "error": "\(error)"])
        }
    }

    /// Before the leader closes a session's stage: the other replicas stop taking messages for it,
    /// and every message they stored for it is taken.
    func closeIntake(runID: String, session: Int) async {
        guard sharesSessions, let run = runs[runID], let key = sessionKey(run, session: session) else { return }
        do {
            try await store.closeIntake(key)
        } catch {
            logger.error("cannot close a secure stage's intake", metadata: ["run": "\(runID)", "error": "\(error)"])
        }
        await takeStoredMessages(runID: runID, session: session)
    }

    /// The leader takes into every secure session the messages other replicas stored for it.
    func takeStoredMessages() async {
        for (id, run) in runs {
            for session in run.sessions.keys { await takeStoredMessages(runID: id, session: session) }
        }
    }

    private func takeStoredMessages(runID: String, session: Int) async {
        guard let run = runs[runID], let stage = run.sessions[session]?.stage,
            let key = sessionKey(run, session: session)
        else { return }
        let prefix = "\(key.round)/\(session)/\(key.attempt)/\(stage.rawValue)/"
        let taken = Set(run.ingested.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        let messages: [StoredSecureMessage]
        do {
            messages = try await store.secureMessages(key, stage: stage, skipping: taken)
        } catch {
            guard !Task.isCancelled else { return }
            logger.warning("cannot read the secure messages of other replicas", metadata: ["error": "\(error)"])
            return
        }
        for message in messages {
            // A stage closing meanwhile takes what is left itself.
            guard runs[runID]?.ingested.insert(prefix + message.device).inserted == true else { continue }
            do {
                try await take(message, stage: stage, key: key)
            } catch {
                logger.warning(
                    "a secure message another replica took was refused",
                    metadata: ["run": "\(runID)", "device": "\(message.device)", "error": "\(error)"])
            }
        }
    }

    private func take(_ message: StoredSecureMessage, stage: SecAggStage, key: SecureSessionKey) async throws(APIError)
    {
        let device = message.device
        var (session, secure) = try await self.session(
            runId: key.runId, round: key.round, attempt: key.attempt, device: device)
        guard stage != .maskedInput else {
            guard let seat = secure.seat(of: device) else { throw Self.notInCohort }
            try secure.acceptMaskedInputSummedElsewhere(at: seat, excluding: message.excluded, now: clock())
            runs[key.runId]?.sessions[session] = secure
            if secure.stageComplete { await stageAnswered(runID: key.runId, session: session, at: clock()) }
            return
        }
        let decoded: SecAggClientMessage
        do {
            let decoder = JSONDecoder()
            let data = Data(message.body)
            switch stage {
            case .advertiseKeys: decoded = .advertisedKeys(try decoder.decode(AdvertisedKeys.self, from: data))
            case .shareKeys: decoded = .sharedKeys(try decoder.decode(SharedKeys.self, from: data))
            case .unmasking: decoded = .revealedShares(try decoder.decode(RevealedShares.self, from: data))
            case .maskedInput: return
            }
        } catch {
            throw .internal("a stored secure message cannot be read: \(error)")
        }
        try await receiveSecure(
            runId: key.runId, round: key.round, attempt: key.attempt, device: device, message: decoded)
    }

    /// After the masked-input stage closed on the leader: adds the other replicas' sums of the
    /// masked inputs they took into their groups' sums, taking back out any input whose device
    /// exclusions left out of the survivors.
    func addMaskedSumsTakenElsewhere(_ secure: inout SecureRound, runID: String, session: Int) async throws(APIError) {
        guard sharesSessions, let run = runs[runID], let key = sessionKey(run, session: session) else { return }
        for sum in try await store.maskedSums(key) where secure.groups.indices.contains(sum.group) {
            guard secure.groups[sum.group].dropped == nil else { continue }
            try Self.add(sum.words, to: &secure, group: sum.group, subtracting: false)
            let survivors = Set(secure.groups[sum.group].server.survivors)
            for client in sum.clients where !survivors.contains(client) {
                let device = secure.cohort[secure.groups[sum.group].members[client]]
                let input = try await store.maskedInput(key, device: device)
                try Self.add(input, to: &secure, group: sum.group, subtracting: true)
            }
        }
    }

    private static func add(
        _ words: [UInt32], to secure: inout SecureRound, group: Int, subtracting: Bool
    ) throws(APIError) {
        do {
            try secure.addToMaskedSum(group: group, words, subtracting: subtracting)
        } catch {
            throw .internal("the masked inputs other replicas took cannot be added: \(error)")
        }
    }

    // MARK: A replica that does not lead

    /// Stores a device's stage message on a replica that does not lead: checked against the
    /// session's published view, then admitted against its published stage as it is stored.
    func storeSecureMessage(
        runId: String, round: Int, attempt: Int, device: String, stage: SecAggStage, client: Int?,
        body: [UInt8], masked: (vector: [UInt32], excluded: [Int])?
    ) async throws(APIError) {
        let (key, view) = try await followedSession(runId: runId, round: round, attempt: attempt, device: device)
        guard let seat = view.seats[device] else { throw Self.notInCohort }
        if let client, client != seat.client {
            throw .badRequest(
                .secaggInvalidMessage,
                "the message speaks for client \(client), but this device is client \(seat.client)")
        }
        let group = view.groups[seat.group]
        if let dropped = group.dropped { throw SecureRound.groupDropped(dropped) }
        guard let open = group.stage else { throw Self.closed }
        guard open == stage else {
            throw .conflict(.secaggWrongStage, "the secure-aggregation stage open now is \(open.rawValue)")
        }
        guard group.expected.contains(seat.client) else {
            throw APIError(.forbidden, .notInStage, "this device takes no part in the \(stage.rawValue) stage")
        }
        if let masked, masked.vector.count != group.vectorLength {
            throw .badRequest(
                .secaggInvalidMessage,
                "a masked input of \(masked.vector.count) values; the round expects \(group.vectorLength)")
        }
        try await store.storeSecureMessage(
            key, device: device, stage: stage, excluded: masked?.excluded ?? [], body: body,
            masked: masked.map { (seat.group, seat.client, $0.vector) })
        await broadcaster.progressed()
    }

    /// The words of `device`'s masked input, from the published view, on a replica that does not
    /// lead.
    func followedVectorLength(runId: String, round: Int, attempt: Int, device: String) async throws(APIError) -> Int {
        let view = try await followedSession(runId: runId, round: round, attempt: attempt, device: device).view
        guard let seat = view.seats[device] else { throw Self.notInCohort }
        return view.groups[seat.group].vectorLength
    }

    /// The reply `device` waits for in `stage`, from the published view, on a replica that does
    /// not lead; nil while the stage has not opened.
    func followedSecureReply(
        runId: String, round: Int, attempt: Int, device: String, stage: SecAggStage
    ) async throws(APIError) -> SecureReply? {
        let view = try await followedSession(runId: runId, round: round, attempt: attempt, device: device).view
        return try view.reply(to: device, in: stage)
    }

    /// The published session `device`'s message for `attempt` of `round` belongs to; read again
    /// once when this replica has not read it yet.
    private func followedSession(
        runId: String, round: Int, attempt: Int, device: String
    ) async throws(APIError) -> (key: SecureSessionKey, view: SecureSessionView) {
        for fresh in [false, true] {
            if fresh { await followStoredRuns() }
            guard let run = followed[runId], let session = run.machine.secureSession(of: device, round: round),
                let key = sessionKey(run, session: session.id)
            else { continue }
            guard attempt == session.attempt else {
                throw .conflict(
                    .stageRestarted,
                    "this round's secure aggregation was started again as attempt \(session.attempt); take the new task from the watch"
                )
            }
            if let view = run.views[session.id], view.attempt == attempt { return (key, view) }
        }
        guard followed[runId] != nil else {
            throw try await closedOrUnknown(runId: runId, round: round, device: device)
        }
        throw .notLeader("this aggregator has not read the secure stage yet; send it again")
    }
}
