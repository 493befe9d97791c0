import StarlingCore

/// How one device's ``FeatureStatistics`` become a vector of Z/2^32 words for secure aggregation, and
/// how the aggregated sum of such vectors becomes the fleet's statistics.
///
/// Exists so that the aggregator learns only the fleet total: every word is a count or a limb
/// below 2^20, so the word-wise sum of up to ``WideFixedPoint/maximumSummands`` devices never wraps
/// and decodes exactly.
///
/// Layout for width D on a grid of B buckets, in order:
///
/// | words | content |
/// |---|---|
/// | 1 | rows |
/// | D | counts of finite values per feature |
/// | D | rejected (non-finite) values per feature |
/// | 7·D | Σ x per feature, 7 ``WideFixedPoint`` limbs each |
/// | 7·D | Σ x² per feature, 7 limbs each |
/// | D·B | bucket counts, feature-major |
/// | 1 | 1: the sum counts the contributing devices |
///
/// - Important: a device contributes at most ``maximumRowsPerDevice`` = 2^20 − 1 rows (subsample
///   beyond), so that every count word, like every limb, is below 2^20.
public enum FeatureStatisticsLayout {
    /// Rows one device may encode: every word stays below 2^20.
    public static let maximumRowsPerDevice = (1 << WideFixedPoint.limbBits) - 1

    /// Words per encoded vector: D · (2 + 2 · 7 + B) + 2.
    public static func vectorLength(width: Int, grid: LogBucketGrid) -> Int {
        width * (2 + 2 * WideFixedPoint.limbCount + grid.bucketCount) + 2
    }

    /// The words of one device's statistics, and how many of its sums were clamped to
    /// ±``WideFixedPoint/maximumMagnitude``.
    public static func encode(
        _ statistics: FeatureStatistics
    ) throws(FeatureStatisticsEncodingError) -> (words: [UInt32], clippedSums: Int) {
        guard statistics.rows <= maximumRowsPerDevice else {
            throw .tooManyRows(rows: statistics.rows, maximum: maximumRowsPerDevice)
        }
        var words: [UInt32] = []
        words.reserveCapacity(vectorLength(width: statistics.width, grid: statistics.grid))
        words.append(UInt32(statistics.rows))
        words.append(contentsOf: statistics.counts.map { UInt32($0) })
        words.append(contentsOf: statistics.rejectedValues.map { UInt32($0) })
        var clipped = 0
        for sum in statistics.sums where WideFixedPoint.encode(sum, into: &words) { clipped += 1 }
        for sum in statistics.sumsOfSquares where WideFixedPoint.encode(sum, into: &words) { clipped += 1 }
        words.append(contentsOf: statistics.bucketCounts.map { UInt32($0) })
        words.append(1)
        return (words, clipped)
    }

    /// The fleet statistics behind `words`, the Z/2^32 sum of the devices' encodings, and how many
    /// devices contributed.
    public static func decodeSum(
        _ words: [UInt32], width: Int, grid: LogBucketGrid
    ) throws(FeatureStatisticsEncodingError) -> (statistics: FeatureStatistics, devices: Int) {
        let expected = vectorLength(width: width, grid: grid)
        guard words.count == expected else { throw .wrongLength(expected: expected, actual: words.count) }
        let devices = Int(words[expected - 1])
        guard (1...WideFixedPoint.maximumSummands).contains(devices) else { throw .invalidDeviceCount(devices) }
        let limbs = WideFixedPoint.limbCount
        var offset = 1
        func take(_ count: Int) -> ArraySlice<UInt32> {
            defer { offset += count }
            return words[offset..<(offset + count)]
        }
        let rows = Int(words[0])
        let counts = take(width).map { Int($0) }
        let rejected = take(width).map { Int($0) }
        let sums = (0..<width).map { _ in WideFixedPoint.decodeSum(take(limbs)) }
        let squares = (0..<width).map { _ in WideFixedPoint.decodeSum(take(limbs)) }
        let buckets = take(width * grid.bucketCount).map { Int($0) }
        do {
            let statistics = try FeatureStatistics(
                width: width, grid: grid, rows: rows, counts: counts, rejectedValues: rejected, sums: sums,
                sumsOfSquares: squares, bucketCounts: buckets)
            return (statistics, devices)
        } catch {
            throw .invalidSum(error)
        }
    }
}
