/// What one device computes over its own samples so that the fleet can learn the distribution of
/// each model input without seeing a sample: per feature the count, sum and sum of squares of the
/// values, and their histogram on a ``LogBucketGrid``.
///
/// Exists because every field is a plain sum: statistics of two devices ``merge(_:)`` by addition,
/// which is exactly what secure aggregation computes, so the aggregator only ever learns the fleet
/// total.
///
/// Exact minima and maxima are deliberately absent: they are not sums, and a device's extreme value
/// can single it out. The fleet's extremes are instead read from the summed histogram as the outer
/// edges of the outermost non-empty buckets (``FeatureSummary``), so the aggregator learns them only
/// to bucket granularity.
///
/// Non-finite values (NaN, ±∞) are never added: ``add(features:rows:)`` skips them and counts them in
/// ``rejectedValues``, so every sum a device sends is finite. For every feature,
/// `counts[j] + rejectedValues[j] == rows` and the feature's bucket counts add up to `counts[j]`.
public struct FeatureStatistics: Sendable, Equatable {
    /// Features per sample (D).
    public let width: Int
    /// The grid the histograms are binned on.
    public let grid: LogBucketGrid
    /// Samples seen.
    public private(set) var rows: Int
    /// Per feature: finite values added.
    public private(set) var counts: [Int]
    /// Per feature: non-finite values skipped.
    public private(set) var rejectedValues: [Int]
    /// Per feature: Σ x.
    public private(set) var sums: [Double]
    /// Per feature: Σ x².
    public private(set) var sumsOfSquares: [Double]
    /// Histograms, D × `grid.bucketCount`, feature-major: `bucketCounts[j * grid.bucketCount + b]`.
    public private(set) var bucketCounts: [Int]

    /// Empty statistics of `width` features.
    public init(width: Int, grid: LogBucketGrid = .standard) {
        precondition(width >= 0, "width must be non-negative")
        self.width = width
        self.grid = grid
        rows = 0
        counts = [Int](repeating: 0, count: width)
        rejectedValues = [Int](repeating: 0, count: width)
        sums = [Double](repeating: 0, count: width)
        sumsOfSquares = [Double](repeating: 0, count: width)
        bucketCounts = [Int](repeating: 0, count: width * grid.bucketCount)
    }

    /// Statistics from their fields (e.g. a decoded secure-aggregation sum), validated: shapes agree
    /// with `width` and `grid`, counts are non-negative, `counts[j] + rejectedValues[j] == rows`,
    /// each feature's buckets add up to its count, sums are finite and sums of squares non-negative.
    public init(
        width: Int, grid: LogBucketGrid, rows: Int, counts: [Int], rejectedValues: [Int], sums: [Double],
        sumsOfSquares: [Double], bucketCounts: [Int]
    ) throws(FeatureStatisticsError) {
        guard width >= 0, rows >= 0 else {
            throw .invalidStatistics("width \(width) and rows \(rows) must be non-negative")
        }
        for (name, count) in [
            ("counts", counts.count), ("rejected values", rejectedValues.count), ("sums", sums.count),
            ("sums of squares", sumsOfSquares.count),
        ] where count != width {
            throw .invalidStatistics("\(count) \(name) for \(width) features")
        }
        guard bucketCounts.count == width * grid.bucketCount else {
            throw .invalidStatistics(
                "\(bucketCounts.count) bucket counts for \(width) features of \(grid.bucketCount) buckets")
        }
        if let bucket = bucketCounts.firstIndex(where: { $0 < 0 }) {
            throw .invalidStatistics("bucket count \(bucket) is negative")
        }
        for j in 0..<width {
            guard counts[j] >= 0, rejectedValues[j] >= 0, counts[j] + rejectedValues[j] == rows else {
                throw .invalidStatistics(
                    "feature \(j) has \(counts[j]) values and \(rejectedValues[j]) rejected in \(rows) rows")
            }
            guard sums[j].isFinite, sumsOfSquares[j].isFinite, sumsOfSquares[j] >= 0 else {
                throw .invalidStatistics("feature \(j) has sum \(sums[j]) and sum of squares \(sumsOfSquares[j])")
            }
            let histogram = bucketCounts[(j * grid.bucketCount)..<((j + 1) * grid.bucketCount)].reduce(0, +)
            guard histogram == counts[j] else {
                throw .invalidStatistics(
                    "feature \(j)'s histogram holds \(histogram) values, its count is \(counts[j])")
            }
        }
        self.width = width
        self.grid = grid
        self.rows = rows
        self.counts = counts
        self.rejectedValues = rejectedValues
        self.sums = sums
        self.sumsOfSquares = sumsOfSquares
        self.bucketCounts = bucketCounts
    }

    /// Adds `rows` row-major samples of `width` features; non-finite values are counted in
    /// ``rejectedValues`` instead.
    public mutating func add(features: [Float], rows: Int) {
        precondition(rows >= 0 && features.count == rows * width, "features must hold rows × \(width) values")
        let buckets = grid.bucketCount
        features.withUnsafeBufferPointer { x in
            for row in 0..<rows {
                let base = row * width
                for j in 0..<width {
                    let value = x[base + j]
                    guard value.isFinite else {
                        rejectedValues[j] += 1
                        continue
                    }
                    let v = Double(value)
                    counts[j] += 1
                    sums[j] += v
                    sumsOfSquares[j] += v * v
                    bucketCounts[j * buckets + grid.index(of: v)] += 1
                }
            }
        }
        self.rows += rows
    }

    /// Adds `other`'s samples: every field is summed.
    public mutating func merge(_ other: FeatureStatistics) throws(FeatureStatisticsError) {
        guard other.width == width else { throw .widthMismatch(expected: width, actual: other.width) }
        guard other.grid == grid else { throw .gridMismatch }
        rows += other.rows
        for j in 0..<width {
            counts[j] += other.counts[j]
            rejectedValues[j] += other.rejectedValues[j]
            sums[j] += other.sums[j]
            sumsOfSquares[j] += other.sumsOfSquares[j]
        }
        for index in bucketCounts.indices { bucketCounts[index] += other.bucketCounts[index] }
    }

    /// Feature `j`'s histogram, `grid.bucketCount` counts in bucket order.
    public func histogram(ofFeature j: Int) -> ArraySlice<Int> {
        precondition((0..<width).contains(j), "feature \(j) is outside 0..<\(width)")
        return bucketCounts[(j * grid.bucketCount)..<((j + 1) * grid.bucketCount)]
    }
}
