import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTransport

extension RoundCoordinator {
    /// Whether `device` may upload to this iteration now; answers the architecture to validate
    /// the body against, or the API error: 404 `round_not_found`, 403 `not_in_cohort`,
    /// 409 `round_closed` / `duplicate_update`.
    func admit(roundId: String, iteration: Int, device: String) async throws(APIError) -> ModelArchitecture {
        if let run = runs[roundId], run.iteration.iteration == iteration {
            if run.round.plan.secureAggregation != nil {
                throw .conflict(
                    "secure_aggregation_required", "this round takes updates only through secure aggregation")
            }
            try Self.check(run.machine.admission(of: device), inFlight: inFlight.contains(Self.key(roundId, iteration, device)))
            return run.architecture
        }
        guard let record = try await store.iteration(roundId: roundId, iteration: iteration) else {
            throw .notFound("round_not_found", "round '\(roundId)' has no iteration \(iteration)")
        }
        guard record.cohort.contains(device) else { throw Self.notInCohort }
        throw Self.closed
    }

    /// Stores a validated update (file first, then its row) and feeds it to the run's machine.
    func submit(
        roundId: String, iteration: Int, device: String, bytes: [UInt8], update: ValidatedUpdate
    ) async throws(APIError) -> UpdateReceipt {
        _ = try await admit(roundId: roundId, iteration: iteration, device: device)
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
                roundId: roundId, iteration: iteration, deviceId: device, trainSamples: update.trainSamples,
                trainLoss: update.trainLoss, evalSamples: update.evalSamples, evalAccuracy: update.evalAccuracy,
                path: url.path, receivedAt: clock()))
        var admission = IterationStateMachine.Admission.closed
        var action: IterationStateMachine.Action?
        if var run = runs[roundId], run.iteration.iteration == iteration {
            (admission, action) = run.machine.updateStored(from: device)
            runs[roundId] = run
        }
        guard admission == .accepted else {
            // The iteration closed while the update was being stored: it takes no part.
            try await store.deleteUpdate(roundId: roundId, iteration: iteration, deviceID: device)
            try? FileManager.default.removeItem(at: url)
            throw Self.closed
        }
        await broadcaster.bump()
        if let action { await perform(action, runID: roundId) }
        return UpdateReceipt(roundId: roundId, iteration: iteration, accepted: true)
    }

    private static func check(_ admission: IterationStateMachine.Admission, inFlight: Bool) throws(APIError) {
        switch admission {
        case .accepted where inFlight, .duplicate:
            throw .conflict("duplicate_update", "this device already sent its update for this iteration")
        case .accepted: return
        case .notInCohort: throw notInCohort
        case .closed: throw closed
        }
    }

    static var notInCohort: APIError {
        APIError(.forbidden, "not_in_cohort", "this device was not selected for this round iteration")
    }

    static var closed: APIError { .conflict("round_closed", "this round iteration no longer accepts updates") }

    private static func key(_ roundId: String, _ iteration: Int, _ device: String) -> String {
        "\(roundId)/\(iteration)/\(device)"
    }
}
