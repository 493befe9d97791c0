/// Why a histogram grid, a device's feature statistics or a fleet feature profile could not be built,
/// merged or decoded.
///
/// Every case reads as one sentence so it can be shown to an operator or returned by an API as is.
public enum FeatureStatisticsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The grid parameters do not describe a usable log-spaced grid.
    case invalidGrid(String)
    /// Two statistics (or a statistic and its data) describe different numbers of features.
    case widthMismatch(expected: Int, actual: Int)
    /// Two statistics were binned on different grids, so their histograms cannot be added.
    case gridMismatch
    /// Counts, sums or histograms are inconsistent, negative or not finite.
    case invalidStatistics(String)
    /// A stored profile is inconsistent (widths, counts, bucket indices or non-finite numbers).
    case invalidProfile(String)
    /// A feature index is outside the profile's width.
    case featureOutOfRange(feature: Int, width: Int)
    /// The feature has no observed values, so nothing can be derived from its distribution.
    case emptyFeature(Int)

    public var description: String {
        switch self {
        case .invalidGrid(let reason): "Invalid histogram grid: \(reason)."
        case .widthMismatch(let expected, let actual): "Expected statistics of \(expected) features, got \(actual)."
        case .gridMismatch: "The statistics were binned on different histogram grids and cannot be combined."
        case .invalidStatistics(let reason): "Invalid feature statistics: \(reason)."
        case .invalidProfile(let reason): "Invalid feature profile: \(reason)."
        case .featureOutOfRange(let feature, let width): "Feature \(feature) is outside the profile's 0..<\(width)."
        case .emptyFeature(let feature): "Feature \(feature) has no observed values."
        }
    }
}
