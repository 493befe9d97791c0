import StarlingCore

/// Why a device's feature statistics cannot be encoded for secure aggregation, or why an aggregated
/// sum of them does not decode.
public enum FeatureStatisticsEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A device counted more rows than one encoding may carry without the fleet sum wrapping.
    case tooManyRows(rows: Int, maximum: Int)
    /// An aggregated vector does not have the layout's length for this width and grid.
    case wrongLength(expected: Int, actual: Int)
    /// The device-count word is 0 or above the number of summands the encoding allows.
    case invalidDeviceCount(Int)
    /// The decoded sum is not a consistent set of statistics.
    case invalidSum(FeatureStatisticsError)

    public var description: String {
        switch self {
        case .tooManyRows(let rows, let maximum):
            "statistics over \(rows) rows exceed the \(maximum) rows one device may contribute; subsample first"
        case .wrongLength(let expected, let actual):
            "an aggregated statistics vector of \(actual) words, expected \(expected)"
        case .invalidDeviceCount(let devices):
            "the aggregated statistics claim \(devices) devices, expected 1…\(WideFixedPoint.maximumSummands)"
        case .invalidSum(let error): "the aggregated statistics do not decode: \(error.description)"
        }
    }
}
