import StarlingTransport

/// What can go wrong in an operator's command, each with its exit status.
///
/// | exit | meaning |
/// |---|---|
/// | 1 | the command failed (a demo or a round did not reach its goal) |
/// | 2 | the command line is wrong (reported by the argument parser) |
/// | 3 | configuration is missing or unreadable (URL, CA, token, data files) |
/// | 4 | the aggregator could not be reached |
/// | 5 | the aggregator refused the request (its sentence is printed) |
public enum AdminError: Error, CustomStringConvertible {
    case failed(String)
    case configuration(String)
    case unreachable(String)
    case rejected(code: String, message: String)

    /// `Wait.until` for a command: a wait that runs out fails the command.
    public static func wait<T>(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(50), _ condition: () async -> T?
    ) async throws(AdminError) -> T {
        do {
            return try await Wait.until(what, timeout: timeout, interval: interval, condition)
        } catch {
            throw AdminError(error)
        }
    }

    /// A wait that ran out: the command failed.
    public init(_ timedOut: Wait.TimedOut) {
        self = .failed(timedOut.description)
    }

    /// Maps a client error onto the command's error.
    public init(_ error: StarlingHTTPError) {
        switch error {
        case .transport(let reason): self = .unreachable("cannot reach the aggregator: \(reason)")
        case .api(_, let code, let message): self = .rejected(code: code, message: message)
        case .invalidResponse(let reason): self = .failed(reason)
        }
    }

    public var description: String {
        switch self {
        case .failed(let message), .configuration(let message), .unreachable(let message):
            return message
        case .rejected(let code, let message):
            return "\(message) (\(code))"
        }
    }

    /// The process exit status for this error.
    public var exitCode: Int32 {
        switch self {
        case .failed: return 1
        case .configuration: return 3
        case .unreachable: return 4
        case .rejected: return 5
        }
    }
}
