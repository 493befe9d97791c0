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
        try await retrying(until: giveUp) { () throws(StarlingHTTPError) in
            do throws(StarlingHTTPError) {
                try await send()
            } catch .api(_, let code, _) where alreadyDelivered.contains { $0.rawValue == code } {
                return
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
}
