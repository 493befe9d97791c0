/// Why a round's client deltas could not be aggregated.
///
/// Each case reads as one sentence for the aggregator's log; an index names the offending update in the order
/// given, so the caller can drop it and aggregate the rest.
public enum AggregationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// There were no updates.
    case noUpdates
    /// An update's delta differs in length from the first update's.
    case lengthMismatch(index: Int, expected: Int, actual: Int)
    /// An update has a negative weight.
    case negativeWeight(index: Int, weight: Int)
    /// The `mean` rule found no positive weight to divide by.
    case noWeight
    /// An update's delta holds NaN or an infinity at `coordinate`.
    case nonFiniteDelta(index: Int, coordinate: Int)
    /// The trim fraction β is outside [0, 0.5), where trimming could leave no value.
    case invalidTrim(Double)

    public var description: String {
        switch self {
        case .noUpdates:
            return "There are no updates to aggregate."
        case .lengthMismatch(let index, let expected, let actual):
            return "Update \(index) has \(actual) values, the first update \(expected)."
        case .negativeWeight(let index, let weight):
            return "Update \(index) has the negative weight \(weight)."
        case .noWeight:
            return "The updates' weights sum to zero, so there is no weighted mean."
        case .nonFiniteDelta(let index, let coordinate):
            return "Update \(index) is not a finite number at coordinate \(coordinate)."
        case .invalidTrim(let trim):
            return "The trim fraction must be in [0, 0.5), got \(trim)."
        }
    }
}
