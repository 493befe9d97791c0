import SecureAggregation
import StarlingCore
import StarlingProtocol

/// One device's share of a feature-statistics collection: the summary of its training samples of
/// the task's width (count, sum, sum of squares and histogram per feature). Held-out samples stay
/// out, so a model's preprocessing is never fitted on the rows it is evaluated on. A device holding
/// more rows than one contribution may encode summarises an evenly strided subsample of them.
enum LocalStatistics {
    static func run(
        task: StatisticsTask, train: [LabelledSample], maximumRows: Int = FeatureStatisticsLayout.maximumRowsPerDevice
    ) -> LocalResult<FeatureStatistics> {
        let fitting = train.filter { $0.features.count == task.width }
        let stride = max(1, (fitting.count + maximumRows - 1) / maximumRows)
        var statistics = FeatureStatistics(width: task.width, grid: task.grid)
        var rows = 0
        for sample in Swift.stride(from: 0, to: fitting.count, by: stride).map({ fitting[$0] }) {
            statistics.add(features: sample.features, rows: 1)
            rows += 1
        }
        guard rows > 0 else {
            return .noData("none of the \(train.count) training samples has \(task.width) features")
        }
        return .contribute(statistics)
    }
}
