import StarlingCore
import StarlingProtocol

/// One device's share of a feature-statistics collection: the summary of its training samples of
/// the task's width (count, sum, sum of squares and histogram per feature). Held-out samples stay
/// out, so a model's preprocessing is never fitted on the rows it is evaluated on.
enum LocalStatistics {
    static func run(task: StatisticsTask, train: [LabelledSample]) -> LocalResult<FeatureStatistics> {
        var statistics = FeatureStatistics(width: task.width, grid: task.grid)
        var rows = 0
        for sample in train where sample.features.count == task.width {
            statistics.add(features: sample.features, rows: 1)
            rows += 1
        }
        guard rows > 0 else {
            return .noData("none of the \(train.count) training samples has \(task.width) features")
        }
        return .contribute(statistics)
    }
}
