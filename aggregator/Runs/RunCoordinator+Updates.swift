import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// What a plain upload is checked against: the run's kind, its model and its statistics plan.
struct UploadTarget: Sendable {
    var kind: RunKind
    var architecture: ModelArchitecture?
    var statistics: StatisticsPlan?
    /// The round the contribution counts in: the task's, or in a buffered run the round collecting
    /// now, which may be later than the task's.
    var round: Int
    /// How many versions behind its base the contribution is (0 but in buffered runs).
    var staleness: Int
}

extension RunCoordinator {
    /// Whether `device` may upload a contribution of `kind` to this round now; answers what to
    /// validate the body against, or the API error: 404 `round_not_found`, 403 `not_in_cohort`,
    /// 409 `round_closed` / `duplicate_update` / `wrong_contribution` / `secure_aggregation_required` /
    /// `update_too_stale`.
    func admit(runId: String, round: Int, device: String, kind: RunKind) async throws(APIError) -> UploadTarget {
        await catchUpUnlessItAdmits(runId: runId, round: round, device: device)
        if let run = current(runId), run.machine.round == round || run.machine.grants[device]?.round == round {
            if run.record.plan.secureAggregation != nil {
                throw .conflict(
                    .secureAggregationRequired, "this round takes contributions only through secure aggregation")
            }
            guard run.record.plan.kind == kind else {
                throw .conflict(
                    .wrongContribution,
                    "this is a \(run.record.plan.kind.rawValue) round; it takes no \(kind.rawValue) contribution")
            }
            let admission = run.machine.admission(of: device)
            if admission == .stale {
                // The leader ends the task; another replica leaves that to the task's deadline.
                await handle(runId) { machine -> [RunMachine.Action] in
                    machine.grantEnded(for: device)
                    return []
                }
                throw .conflict(
                    .updateTooStale,
                    "the update was trained from round \(round), more than \(run.record.plan.buffering?.maxStaleness ?? 0) versions behind the newest; take a new task from the watch"
                )
            }
            try Self.check(admission, inFlight: inFlight.contains(Self.key(runId, run.machine.round, device)))
            return UploadTarget(
                kind: kind, architecture: run.architecture, statistics: run.record.plan.statistics,
                round: run.machine.round, staleness: run.machine.round - round)
        }
        throw try await closedOrUnknown(runId: runId, round: round, device: device)
    }

    /// Why a device's message for a round that is not taking it now is refused: 404 for a round the
    /// run never had, 403 for a device outside its cohort, 409 `secagg_not_used` for a secure
    /// message to the plain round in progress, else 409 `round_closed`.
    func closedOrUnknown(runId: String, round: Int, device: String) async throws(APIError) -> APIError {
        guard let record = try await store.round(runId: runId, round: round) else {
            return .notFound(.roundNotFound, "run '\(runId)' has no round \(round)")
        }
        guard record.cohort.contains(device) else { return Self.notInCohort }
        if let run = current(runId), run.machine.round == round, run.record.plan.secureAggregation == nil {
            return .conflict(.secaggNotUsed, "this round does not use secure aggregation")
        }
        return Self.closed
    }

    /// Stores a validated contribution (file first, then its row) in the round it counts in and
    /// feeds it to the run's machine; a training update also goes into this replica's partial sum.
    /// `samples` is the contribution's weight; the figures fill the row of a training update. A
    /// replica that does not lead keeps no file (the database has the bytes) and has the stored
    /// machine admit the contribution in the transaction that stores it; the leader replays it.
    func submit(
        runId: String, round task: Int, device: String, kind: RunKind, bytes: [UInt8], samples: Int,
        update: ValidatedUpdate? = nil
    ) async throws(APIError) -> UpdateReceipt {
        let target = try await admit(runId: runId, round: task, device: device, kind: kind)
        let round = target.round
        let key = Self.key(runId, round, device)
        inFlight.insert(key)
        defer { inFlight.remove(key) }
        let entry = update.flatMap { update in
            kind == .train
                ? PartialSum.Entry(
                    device: device, weight: DeviceCounts.weight(update.trainSamples), staleness: target.staleness,
                    delta: update.delta)
                : nil
        }
        let leads = store.leadership.isLeader
        let url = directory.update(runId: runId, round: round, deviceID: device)
        if leads {
            do {
                try AtomicFile.write(bytes, to: url, permissions: 0o600)
            } catch {
                throw .internal(error.description)
            }
        }
        try await store.insert(
            RoundUpdateRecord(
                runId: runId, round: round, deviceId: device, trainSamples: samples,
                trainLoss: update?.trainLoss, evalSamples: update?.evalSamples, evalAccuracy: update?.evalAccuracy,
                path: leads ? url.path : "", receivedAt: clock(), staleness: target.staleness),
            bytes: bytes, adding: entry, checked: !leads)
        guard leads else {
            // Progress, relayed to the leader, whose catching up takes the stored update in; nothing
            // a device acts on changed, so this replica's held watches stay held.
            await broadcaster.progressed()
            return UpdateReceipt(runId: runId, round: task, accepted: true)
        }
        let now = clock()
        var admission = RunMachine.Admission.closed
        if runs[runId]?.machine.round == round {
            admission = await handle(runId) { $0.contributionStored(from: device, at: now) } ?? .closed
            // Progress, not a change of desired state: the uploading device's task is done, which it
            // knows, and what follows for others (a round's end, new tasks) tells the watches itself.
            await broadcaster.progressed()
        }
        guard admission == .accepted else {
            // The round closed while the update was being stored: it takes no part.
            try await store.deleteUpdate(runId: runId, round: round, deviceID: device)
            try? FileManager.default.removeItem(at: url)
            throw Self.closed
        }
        return UpdateReceipt(runId: runId, round: task, accepted: true)
    }

    /// Records that `device` cannot contribute to this round, so the round stops waiting for it.
    /// Answers like an upload: 404, 403, or 409 once it has contributed or reported already.
    ///
    /// - Important: the machine is read again after the report is stored: other reports and updates
    ///   of the run are taken while this one waits for the database, and a copy of the run taken
    ///   before that wait would undo them.
    func clientFailed(runId: String, round task: Int, device: String, report: ClientFailureReport)
        async throws(APIError)
    {
        await catchUpUnlessItAdmits(runId: runId, round: task, device: device)
        guard let run = current(runId),
            run.machine.round == task || run.machine.grants[device]?.round == task
                || run.machine.secureGroups.group(of: device)?.round == task
        else {
            throw try await closedOrUnknown(runId: runId, round: task, device: device)
        }
        let leads = store.leadership.isLeader
        // A buffered secure run's groups count failure reports only as the leader takes them.
        guard leads || !run.machine.isGrouped else { throw .notLeader(Self.doesNotDriveRuns) }
        let round = run.machine.round
        let key = Self.key(runId, round, device)
        try Self.check(run.machine.admission(of: device), inFlight: inFlight.contains(key))
        inFlight.insert(key)
        defer { inFlight.remove(key) }
        try await store.insert(
            RoundFailureRecord(
                runId: runId, round: round, deviceId: device, reason: report.reason,
                detail: String(report.detail.prefix(ClientFailureReport.maximumDetailLength)), reportedAt: clock()),
            checked: !leads)
        guard leads else {
            await broadcaster.progressed()
            return
        }
        let now = clock()
        var admission = RunMachine.Admission.closed
        if runs[runId]?.machine.round == round {
            logger.warning(
                "a device could not contribute",
                metadata: [
                    "run": "\(runId)/\(round)", "device": "\(device)", "reason": "\(report.reason.rawValue)",
                ])
            admission = await handle(runId) { $0.clientFailed(device, reason: report.reason, at: now) } ?? .closed
            await broadcaster.progressed()
        }
        guard admission == .accepted else {
            // The round closed while the report was being stored: it takes no part.
            try await store.deleteFailure(runId: runId, round: round, deviceID: device)
            throw Self.closed
        }
    }

    private static func check(_ admission: RunMachine.Admission, inFlight: Bool) throws(APIError) {
        switch admission {
        case .accepted where inFlight, .duplicate:
            throw .conflict(.duplicateUpdate, "this device already sent its update for this round")
        case .accepted: return
        case .notInCohort: throw notInCohort
        case .closed: throw closed
        case .stale:
            throw .conflict(.updateTooStale, "the device's task is more versions behind than the run allows")
        case .busy:
            throw .conflict(
                .roundBusy, "the run is making a version from its full buffer; send the update again in a moment")
        }
    }

    static var notInCohort: APIError {
        APIError(.forbidden, .notInCohort, "this device was not selected for this round")
    }

    static var closed: APIError { .conflict(.roundClosed, "this round no longer accepts updates") }

    static let doesNotDriveRuns = "this aggregator does not drive runs now; send it again"

    static func key(_ runId: String, _ round: Int, _ device: String) -> String {
        "\(runId)/\(round)/\(device)"
    }
}
