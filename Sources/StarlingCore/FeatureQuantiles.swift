/// The quantiles a feature profile reports per feature, read from the fleet histogram.
///
/// Exists to give operators (and the preprocessing choice) the shape of a distribution at fixed
/// levels, stable in JSON as `"p0.1"`, `"p1"`, … `"p99.9"`. Each is interpolated inside its bucket
/// (see ``FeatureSummary``), so it is as accurate as the grid: within a bucket's width.
public struct FeatureQuantiles: Codable, Sendable, Equatable {
    /// The levels, in the order of ``values``.
    public static let levels: [Double] = [0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999]

    public var p0_1: Double
    public var p1: Double
    public var p5: Double
    public var p25: Double
    public var p50: Double
    public var p75: Double
    public var p95: Double
    public var p99: Double
    public var p99_9: Double

    /// Quantiles in the order of ``levels``.
    public var values: [Double] { [p0_1, p1, p5, p25, p50, p75, p95, p99, p99_9] }

    /// From nine values in the order of ``levels``.
    init(_ values: [Double]) {
        precondition(values.count == Self.levels.count, "one quantile per level")
        p0_1 = values[0]
        p1 = values[1]
        p5 = values[2]
        p25 = values[3]
        p50 = values[4]
        p75 = values[5]
        p95 = values[6]
        p99 = values[7]
        p99_9 = values[8]
    }

    private enum CodingKeys: String, CodingKey {
        case p0_1 = "p0.1", p1, p5, p25, p50, p75, p95, p99, p99_9 = "p99.9"
    }
}
