/// What a feature profile says about one feature of the fleet: moments from the summed counts and
/// sums, and extremes, fractions and quantiles from the summed histogram.
///
/// Exists as the readable face of a profile (`starling stats show --json`) and as the input of the
/// preprocessing choice. `min` and `max` are the outer edges of the outermost non-empty buckets
/// (the zero bucket counts as 0, a clipped bucket as ±`largest`): the privacy method, since the
/// aggregator never learns a device's exact extremes. Quantiles read the histogram as in
/// ``BucketDistribution``: linear inside a bucket, point masses for the zero and clipped buckets.
public struct FeatureSummary: Codable, Sendable, Equatable {
    /// Finite values observed.
    public var count: Int
    /// Non-finite values the devices skipped.
    public var rejected: Int
    /// Σx / n (0 without values).
    public var mean: Double
    /// Population standard deviation √(Σx²/n − mean²) (0 without values).
    public var std: Double
    /// Lower edge of the lowest non-empty bucket.
    public var min: Double
    /// Upper edge of the highest non-empty bucket.
    public var max: Double
    /// Share of values with |x| below the grid's `smallest`.
    public var zeroFraction: Double
    /// Share of values at or below −`smallest`.
    public var negativeFraction: Double
    /// Quantiles from p0.1 to p99.9.
    public var quantiles: FeatureQuantiles
    /// Values beyond ±`largest`, in the clipped buckets.
    public var clipped: Int

    /// The summary of feature `j` of `statistics`.
    init(_ statistics: FeatureStatistics, feature j: Int) {
        let grid = statistics.grid
        let distribution = BucketDistribution(grid: grid, counts: Array(statistics.histogram(ofFeature: j)))
        let n = statistics.counts[j]
        count = n
        rejected = statistics.rejectedValues[j]
        let mean = n > 0 ? statistics.sums[j] / Double(n) : 0
        self.mean = mean
        std = n > 0 ? Swift.max(0, statistics.sumsOfSquares[j] / Double(n) - mean * mean).squareRoot() : 0
        min = distribution.minimum
        max = distribution.maximum
        let counts = distribution.counts
        zeroFraction = n > 0 ? Double(counts[grid.zeroIndex]) / Double(n) : 0
        negativeFraction = n > 0 ? Double(counts[..<grid.zeroIndex].reduce(0, +)) / Double(n) : 0
        quantiles = FeatureQuantiles(FeatureQuantiles.levels.map(distribution.quantile))
        clipped = counts[grid.negativeClippedIndex] + counts[grid.positiveClippedIndex]
    }

    /// Every number finite, counts non-negative, fractions in 0…1, std ≥ 0 and min ≤ max.
    var isValid: Bool {
        let numbers = [mean, std, min, max, zeroFraction, negativeFraction] + quantiles.values
        return count >= 0 && rejected >= 0 && clipped >= 0 && clipped <= count
            && numbers.allSatisfy(\.isFinite) && std >= 0 && min <= max
            && (0...1).contains(zeroFraction) && (0...1).contains(negativeFraction)
    }
}
