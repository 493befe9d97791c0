/// Why a privacy computation refused its inputs: each case reads as one sentence, so a command line
/// can show it as it is.
public enum PrivacyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The sampling rate q is not a probability.
    case samplingRateOutOfRange(Double)
    /// The noise multiplier σ is negative, infinite or not a number.
    case invalidNoiseMultiplier(Double)
    /// δ is not strictly between 0 and 1.
    case deltaOutOfRange(Double)
    /// A mechanism was composed a negative number of times.
    case negativeSteps(Int)
    /// ε is not a positive finite number.
    case nonPositiveEpsilon(Double)
    /// The Rényi orders are empty, or one of them is not greater than 1 and at most ``RenyiOrders/largest``.
    case invalidOrders
    /// No noise multiplier up to the search's limit brings ε down to the target.
    case calibrationImpossible(epsilon: Double, limit: Double)
    /// A distributed mechanism needs at least one party, one coordinate and a positive finite sensitivity.
    case invalidDistributedSetting(parties: Int, dimension: Int, sensitivity: Double)

    public var description: String {
        switch self {
        case .samplingRateOutOfRange(let q):
            "The sampling rate must be between 0 and 1, not \(q)."
        case .invalidNoiseMultiplier(let sigma):
            "The noise multiplier must be a finite number, zero or positive, not \(sigma)."
        case .deltaOutOfRange(let delta):
            "Delta must be greater than 0 and less than 1, not \(delta)."
        case .negativeSteps(let steps):
            "The number of steps must be zero or positive, not \(steps)."
        case .nonPositiveEpsilon(let epsilon):
            "Epsilon must be a positive number, not \(epsilon)."
        case .invalidOrders:
            "The Rényi orders must be a non-empty list of numbers greater than 1 and at most \(Int(RenyiOrders.largest))."
        case .calibrationImpossible(let epsilon, let limit):
            "No noise multiplier up to \(limit) reaches epsilon \(epsilon)."
        case .invalidDistributedSetting(let parties, let dimension, let sensitivity):
            "Distributed noise needs at least one party and one coordinate and a positive sensitivity, not \(parties) parties, \(dimension) coordinates and sensitivity \(sensitivity)."
        }
    }
}
