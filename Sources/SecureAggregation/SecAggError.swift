/// Why a secure-aggregation step refused a message or could not go on. Each case says what a
/// caller can report: a bad message is the sender's fault, too few survivors aborts the round.
public enum SecAggError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The round's parameters cannot work (threshold above the cohort, a vector too long…).
    case invalidParameters(String)
    /// A message for another round.
    case wrongRound(expected: String, got: String)
    /// A message for a stage other than the current one (early, or late after the stage closed).
    case wrongStage(expected: SecAggStage, got: SecAggStage)
    /// A second message from the same client in one stage.
    case duplicate(client: Int, stage: SecAggStage)
    /// A message from a client that may not speak in this stage (unknown, or dropped earlier).
    case unexpectedClient(client: Int, stage: SecAggStage)
    /// A message whose content does not fit the protocol (wrong lengths, recipients, peers).
    case malformedMessage(String)
    /// Fewer than the threshold of clients are left, so nothing can be unmasked.
    case tooFewSurvivors(stage: SecAggStage, survivors: Int, threshold: Int)
    /// A secret could not be reconstructed: too few of its holders answered.
    case notEnoughShares(needed: Int, got: Int)
    /// Too few of a client's neighbours revealed shares to recover the secret the server needs.
    case unrecoverableClient(client: Int, needed: Int, got: Int)
    /// A share failed authentication or a reconstructed key does not match its advertised key.
    case integrityFailure(String)

    public var description: String {
        switch self {
        case .invalidParameters(let reason): "invalid secure-aggregation parameters: \(reason)"
        case .wrongRound(let expected, let got): "message for round '\(got)' in round '\(expected)'"
        case .wrongStage(let expected, let got):
            "message for stage \(got.rawValue) while the round is in stage \(expected.rawValue)"
        case .duplicate(let client, let stage): "client \(client) already answered stage \(stage.rawValue)"
        case .unexpectedClient(let client, let stage): "client \(client) takes no part in stage \(stage.rawValue)"
        case .malformedMessage(let reason): "malformed secure-aggregation message: \(reason)"
        case .tooFewSurvivors(let stage, let survivors, let threshold):
            "only \(survivors) clients remain after stage \(stage.rawValue), fewer than the threshold of \(threshold)"
        case .notEnoughShares(let needed, let got): "a secret needs \(needed) shares but only \(got) arrived"
        case .unrecoverableClient(let client, let needed, let got):
            "the masks of client \(client) need \(needed) shares but only \(got) of its neighbours revealed one"
        case .integrityFailure(let reason): "secure-aggregation integrity check failed: \(reason)"
        }
    }
}
