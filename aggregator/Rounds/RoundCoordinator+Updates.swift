import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// What a plain upload is checked against: the run's kind, its model and its statistics plan.
struct UploadTarget: Sendable {
    var kind: RunKind
    var architecture: ModelArchitecture?
    var statistics: StatisticsPlan?
}

extension RoundCoordinator {
    /// Whether `device` may upload a contribution of `kind` to this iteration now; answers what to
    /// validate the body against, or the API error: 404 `round_not_found`, 403 `not_in_cohort`,
    /// 409 `round_closed` / `duplicate_update` / `wrong_contribution` / `secure_aggregation_required`.
    func admit(roundId: String, iteration: Int, device: String, kind: RunKind) async throws(APIError) -> UploadTarget {
        if let run = runs[roundId], run.machine.round == iteration {
            if run.round.plan.secureAggregation != nil {
                throw .conflict(
                    .secureAggregationRequired, "this round takes contributions only through secure aggregation")
            }
            guard run.round.plan.kind == kind else {
                throw .conflict(
                    .wrongContribution,
                    "this is a \(run.round.plan.kind.rawValue) round; it takes no \(kind.rawValue) contribution")
            }
            try Self.check(
                run.machine.admission(of: device), inFlight: inFlight.contains(Self.key(roundId, iteration, device)))
            return UploadTarget(kind: kind, architecture: run.architecture, statistics: run.round.plan.statistics)
        }
        guard let record = try await store.iteration(roundId: roundId, iteration: iteration) else {
            throw .notFound(.roundNotFound, "round '\(roundId)' has no iteration \(iteration)")
        }
        guard record.cohort.contains(device) else { throw Self.notInCohort }
        throw Self.closed
    }

    /// Stores a validated contribution (file first, then its row) and feeds it to the run's
    /// machine. `samples` is the contribution's weight; the figures fill the row of a training update.
    func submit(
        roundId: String, iteration: Int, device: String, kind: RunKind, bytes: [UInt8], samples: Int,
        update: ValidatedUpdate? = nil
    ) async throws(APIError) -> UpdateReceipt {
        _ = try await admit(roundId: roundId, iteration: iteration, device: device, kind: kind)
        let key = Self.key(roundId, iteration, device)
        inFlight.insert(key)
        defer { inFlight.remove(key) }
        let url = directory.update(roundId: roundId, iteration: iteration, deviceID: device)
        do {
            try AtomicFile.write(bytes, to: url, permissions: 0o600)
        } catch {
            throw .internal(error.description)
        }
        try await store.insert(
            RoundUpdateRecord(
                roundId: roundId, iteration: iteration, deviceId: device, trainSamples: samples,
                trainLoss: update?.trainLoss, evalSamples: update?.evalSamples, evalAccuracy: update?.evalAccuracy,
                path: url.path, receivedAt: clock()))
        let now = clock()
        var admission = RunMachine.Admission.closed
        if runs[roundId]?.machine.round == iteration {
            admission = await handle(roundId) { $0.contributionStored(from: device, at: now) } ?? .closed
            await broadcaster.bump()
        }
        guard admission == .accepted else {
            // The iteration closed while the update was being stored: it takes no part.
            try await store.deleteUpdate(roundId: roundId, iteration: iteration, deviceID: device)
            try? FileManager.default.removeItem(at: url)
            throw Self.closed
        }
        return UpdateReceipt(roundId: roundId, iteration: iteration, accepted: true)
    }

    /// Records that `device` cannot contribute to this iteration, so the round stops waiting for it.
    /// Answers like an upload: 404, 403, or 409 once it has contributed or reported already.
    ///
    /// - Important: the machine is read again after the report is stored: other reports and updates
    ///   of the run are taken while this one waits for the database, and a copy of the run taken
    ///   before that wait would undo them.
    func clientFailed(roundId: String, iteration: Int, device: String, report: ClientFailureReport)
        async throws(APIError)
    {
        guard let run = runs[roundId], run.machine.round == iteration else {
            guard let record = try await store.iteration(roundId: roundId, iteration: iteration) else {
                throw .notFound(.roundNotFound, "round '\(roundId)' has no iteration \(iteration)")
            }
            guard record.cohort.contains(device) else { throw Self.notInCohort }
            throw Self.closed
        }
        let key = Self.key(roundId, iteration, device)
        try Self.check(run.machine.admission(of: device), inFlight: inFlight.contains(key))
        inFlight.insert(key)
        defer { inFlight.remove(key) }
        try await store.insert(
            RoundFailureRecord(
                roundId: roundId, iteration: iteration, deviceId: device, reason: report.reason,
                detail: String(report.detail.prefix(ClientFailureReport.maximumDetailLength)), reportedAt: clock()))
        let now = clock()
        var admission = RunMachine.Admission.closed
        if runs[roundId]?.machine.round == iteration {
            logger.warning(
                "a device could not contribute",
                metadata: [
                    "round": "\(roundId)/\(iteration)", "device": "\(device)", "reason": "\(report.reason.rawValue)",
                ])
            admission = await handle(roundId) { $0.clientFailed(device, reason: report.reason, at: now) } ?? .closed
            await broadcaster.bump()
        }
        guard admission == .accepted else {
            // The iteration closed while the report was being stored: it takes no part.
            try await store.deleteFailure(roundId: roundId, iteration: iteration, deviceID: device)
            throw Self.closed
        }
    }

    private static func check(_ admission: RunMachine.Admission, inFlight: Bool) throws(APIError) {
        switch admission {
        case .accepted where inFlight, .duplicate:
            throw .conflict(.duplicateUpdate, "this device already sent its update for this iteration")
        case .accepted: return
        case .notInCohort: throw notInCohort
        case .closed: throw closed
        }
    }

    static var notInCohort: APIError {
        APIError(.forbidden, .notInCohort, "this device was not selected for this round iteration")
    }

    static var closed: APIError { .conflict(.roundClosed, "this round iteration no longer accepts updates") }

    private static func key(_ roundId: String, _ iteration: Int, _ device: String) -> String {
        "\(roundId)/\(iteration)/\(device)"
    }
}
