import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Delivers a round message across a link that drops: a call that gets no answer (the connection
/// failed, was cut or timed out) is tried again, waiting a little longer each time, until `giveUp`;
/// then the device is a dropout, never stuck. An answer that says the message had already arrived
/// (a 409 with one of `alreadyDelivered`) counts as delivered, so a retry after a lost answer is safe.
/// A cancelled task (the agent is stopping) does not retry.
enum Rejoin {
    static func deliver(
        until giveUp: Date, alreadyDelivered: Set<APIErrorCode>,
        _ send: () async throws(StarlingHTTPError) -> Void
    ) async throws(StarlingHTTPError) {
        var pause = Duration.milliseconds(250)
        while true {
            do {
                return try await send()
            } catch .api(_, let code, _) where alreadyDelivered.contains { $0.rawValue == code } {
                return
            } catch .transport(let reason) {
                guard Date() < giveUp, !Task.isCancelled else { throw .transport(reason) }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}
