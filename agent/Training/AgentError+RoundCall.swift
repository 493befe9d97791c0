import StarlingProtocol
import StarlingTransport

extension AgentError {
    /// A round's call to the aggregator that failed: superseded when the aggregator moved on from
    /// the task (409 `stage_restarted` or `update_too_stale`), an aggregator error otherwise.
    init(roundCall error: StarlingHTTPError) {
        let superseding: Set<String> = [APIErrorCode.stageRestarted.rawValue, APIErrorCode.updateTooStale.rawValue]
        if case .api(_, let code, let message) = error, superseding.contains(code) {
            self = .taskSuperseded(message)
        } else {
            self = .aggregator(error.description)
        }
    }
}
