/// Why the agent could not start or carry out an operation.
///
/// Every case renders as one sentence that can be shown to an operator as is; the executable prints
/// it and exits non-zero.
public enum AgentError: Error, Sendable, CustomStringConvertible {
    /// The device has no identity yet and no enrollment token was given (or the one given is empty).
    case enrollmentTokenMissing
    /// The aggregator refused or could not be asked to enroll the device.
    case enrollmentFailed(String)
    /// A file of the agent's own state could not be read.
    case unreadableFile(path: String, reason: String)
    /// A file of the agent's own state could not be written.
    case unwritableFile(String)
    /// The local SQLite store failed.
    case store(String)
    /// A CSV file of samples could not be read.
    case invalidCSV(String)
    /// Downloaded bytes do not have the digest the aggregator promised.
    case digestMismatch(expected: String, actual: String)
    /// Downloaded or stored weights are not a usable model.
    case invalidModel(String)
    /// A version's signature or manifest does not match what the aggregator signed.
    case untrustedModel(String)
    /// A call to the aggregator failed.
    case aggregator(String)
    /// The aggregator refuses this device's certificate because an admin revoked the device.
    case deviceRevoked
    /// The device's part in a secure aggregation could not go on.
    case secureAggregation(String)
    /// The aggregator moved on from the task (it restarted a secure round as a new attempt, or a
    /// buffered run got too far ahead of the task's version); a new task comes through the watch.
    case taskSuperseded(String)
    /// A private training run cannot be set up or would exceed the device's privacy budget.
    case privacy(String)
    /// The local API could not listen where it was asked to.
    case cannotListen(address: String, reason: String)

    public var description: String {
        switch self {
        case .enrollmentTokenMissing:
            return
                "This device is not enrolled yet; give it an enrollment token with --enroll-token-file PATH or STARLING_ENROLL_TOKEN."
        case .enrollmentFailed(let reason):
            return sentence("Enrollment failed: \(reason)")
        case .unreadableFile(let path, let reason):
            return sentence("Cannot read \(path): \(reason)")
        case .unwritableFile(let reason):
            return sentence("Cannot write agent state: \(reason)")
        case .store(let reason):
            return sentence("The local sample store failed: \(reason)")
        case .invalidCSV(let reason):
            return sentence("The CSV file cannot be ingested: \(reason)")
        case .digestMismatch(let expected, let actual):
            return "The downloaded weights have SHA-256 \(actual), but \(expected) was expected."
        case .invalidModel(let reason):
            return sentence("The weights are not a usable model: \(reason)")
        case .untrustedModel(let reason):
            return sentence("The model is not trusted: \(reason)")
        case .aggregator(let reason):
            return sentence("The aggregator call failed: \(reason)")
        case .deviceRevoked:
            return "An admin revoked this device at the aggregator; to enroll it again, stop the agent, remove "
                + "the identity folder in its data folder and start it with a new enrollment token."
        case .secureAggregation(let reason):
            return sentence("Secure aggregation failed: \(reason)")
        case .taskSuperseded(let reason):
            return sentence("The aggregator moved on from this task: \(reason)")
        case .privacy(let reason):
            return sentence("Private training refused: \(reason)")
        case .cannotListen(let address, let reason):
            return sentence("Cannot listen on \(address): \(reason)")
        }
    }

    /// Ends `text` with exactly one full stop.
    private func sentence(_ text: String) -> String {
        text.hasSuffix(".") ? text : text + "."
    }
}
