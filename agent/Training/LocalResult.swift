import StarlingProtocol

/// What a device's local part of a round came to: a contribution to send, or the reason it has
/// none, which it reports so the round stops waiting for it.
enum LocalResult<Contribution: Sendable>: Sendable {
    case contribute(Contribution)
    case fail(ClientFailureReport)

    static func noData(_ detail: String) -> Self { .fail(ClientFailureReport(reason: .noData, detail: detail)) }
}
