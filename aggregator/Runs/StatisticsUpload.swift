import SecureAggregation
import StarlingCore

/// A device's plain statistics upload (safetensors, see ``FeatureStatistics``), checked before it
/// counts: the collection's width and grid, finite sums, and counts that agree with each other.
/// A device whose upload fails the check is answered 400 `invalid_statistics` and left out; the
/// collection goes on with the others.
enum StatisticsUpload {
    static func decode(_ bytes: [UInt8], width: Int, grid: LogBucketGrid) throws(APIError) -> FeatureStatistics {
        do {
            return try FeatureStatistics(
                safetensors: bytes, width: width, grid: grid, maximumRows: FeatureStatisticsLayout.maximumRowsPerDevice)
        } catch {
            throw .badRequest(.invalidStatistics, "the statistics are refused: \(error)")
        }
    }
}
