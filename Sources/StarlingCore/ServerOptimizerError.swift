/// Why a server optimiser could not be configured, restored or stepped.
///
/// A failed step leaves the optimiser's state as it was, so the round can be retried or skipped. Every case
/// reads as one sentence so the aggregator can log it or return it as is.
public enum ServerOptimizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A hyper-parameter is outside its range; the reason names it, its range and its value.
    case invalidConfiguration(String)
    /// The parameters x_t and the average delta Δ_t differ in length.
    case lengthMismatch(parameters: Int, delta: Int)
    /// The stored moments do not fit this configuration or this model; the reason says how.
    case invalidState(String)
    /// An input value is NaN or infinite; `name` is "parameters" or "averageDelta".
    case nonFiniteInput(name: String, index: Int)
    /// The step would leave a parameter NaN or infinite (an overflow), so it was not taken.
    case nonFiniteResult(index: Int)
    /// Bytes given to `ServerOptimizerState(decoding:)` are not an encoded state.
    case invalidEncoding(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason):
            return "Invalid server optimizer configuration: \(reason)."
        case .lengthMismatch(let parameters, let delta):
            return "The model has \(parameters) parameters, but the average delta has \(delta) values."
        case .invalidState(let reason):
            return "Invalid server optimizer state: \(reason)."
        case .nonFiniteInput(let name, let index):
            return "\(name)[\(index)] is not a finite number; the server step was not taken."
        case .nonFiniteResult(let index):
            return "The server step would make parameter \(index) non-finite; it was not taken."
        case .invalidEncoding(let reason):
            return "Invalid encoded server optimizer state: \(reason)."
        }
    }
}
