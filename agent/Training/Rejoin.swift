import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Carries a round's calls across a link that drops: a call that gets no answer (the connection
/// failed, was cut or timed out, or the aggregator is restarting), or that the aggregator asks to
/// send again (409 `round_busy`, while a buffered run makes a version; 503 `not_leader`, from a
/// replica that does not drive runs, or `storage_unavailable`, while its database is out of reach),
/// is tried again, waiting a little longer each time, until `giveUp`; then the device is a dropout, never stuck. Any other
/// answer, even an error, ends the retries. A cancelled task (the agent is stopping) does not retry.
enum Rejoin {
    /// Delivers a message. An answer that says it had already arrived (a 409 with one of
    /// `alreadyDelivered`) counts as delivered, so a retry after a lost answer is safe.
    static func deliver(
        until giveUp: Date, alreadyDelivered: Set<APIErrorCode>,
        _ send: () async throws(StarlingHTTPError) -> Void
    ) async throws(StarlingHTTPError) {
        _ = try await exchange(until: giveUp, alreadyDelivered: alreadyDelivered, send)
    }

    /// Delivers a message and hands back the answer, as ``deliver(until:alreadyDelivered:_:)``
    /// does; nil when the answer said the message had already arrived.
    static func exchange<Answer>(
        until giveUp: Date, alreadyDelivered: Set<APIErrorCode>,
        _ send: () async throws(StarlingHTTPError) -> Answer
    ) async throws(StarlingHTTPError) -> Answer? {
        try await retrying(until: giveUp) { () throws(StarlingHTTPError) -> Answer? in
            do throws(StarlingHTTPError) {
                return try await send()
            } catch .api(_, let code, _) where alreadyDelivered.contains { $0.rawValue == code } {
                return nil
            }
        }
    }

    /// The answer of `call`, asked again after every dropped link until `giveUp`.
    static func retrying<Value>(
        until giveUp: Date, _ call: () async throws(StarlingHTTPError) -> Value
    ) async throws(StarlingHTTPError) -> Value {
        var pause = Duration.milliseconds(250)
        while true {
            do throws(StarlingHTTPError) {
                return try await call()
            } catch {
                guard isWorthAnotherTry(error), Date() < giveUp, !Task.isCancelled else { throw error }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }

    /// No answer came, or the aggregator asked for the call again (409 `round_busy`).
    /// The refusals that mean "send it again".
    private static let sendAgain: Set<String> = [
        APIErrorCode.roundBusy.rawValue, APIErrorCode.notLeader.rawValue, APIErrorCode.storageUnavailable.rawValue,
    ]

    private static func isWorthAnotherTry(_ error: StarlingHTTPError) -> Bool {
        switch error {
        case .transport: true
        case .api(_, let code, _): sendAgain.contains(code)
        default: false
        }
    }

    /// Uploads a round contribution, again after a dropped link until `deadline`; one the
    /// aggregator already has counts as uploaded.
    static func upload(_ bytes: [UInt8], to path: String, until deadline: Date, client: StarlingHTTPClient)
        async throws(AgentError)
    {
        do {
            try await deliver(until: deadline, alreadyDelivered: [.duplicateUpdate]) { () throws(StarlingHTTPError) in
                let _: UpdateReceipt = try await client.post(path, bytes: bytes)
            }
        } catch {
            throw AgentError(roundCall: error)
        }
    }

    /// Tells the aggregator why this device sends nothing for `task`, again after a dropped link
    /// until the task's deadline.
    static func report(_ failure: ClientFailureReport, for task: RoundTask, client: StarlingHTTPClient)
        async throws(AgentError)
    {
        let path = APIPath.deviceFailure(runId: task.runId, round: task.round)
        do {
            try await deliver(until: task.deadline, alreadyDelivered: [.duplicateUpdate]) {
                () throws(StarlingHTTPError) in
                let _: UpdateReceipt = try await client.post(path, json: failure)
            }
        } catch {
            throw .aggregator(error.description)
        }
    }
}
