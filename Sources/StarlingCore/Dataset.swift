/// A labelled numeric dataset: raw feature rows with class indices.
///
/// The common currency between data loading (CSV), splitting and training.
public struct Dataset: Sendable, Equatable {
    /// Features per row.
    public var featureCount: Int
    /// `count × featureCount` raw (not standardised) values, row-major.
    public var features: [Float]
    /// Class index of each row.
    public var labels: [Int]

    /// Number of rows.
    public var count: Int { labels.count }

    /// Traps if `features.count != labels.count × featureCount` (a programming error).
    public init(featureCount: Int, features: [Float], labels: [Int]) {
        precondition(featureCount >= 0, "featureCount must be non-negative")
        precondition(
            features.count == labels.count * featureCount,
            "\(features.count) feature values for \(labels.count) rows of \(featureCount) features")
        self.featureCount = featureCount
        self.features = features
        self.labels = labels
    }

    /// The rows at `indices`, in that order (repeats allowed).
    public func subset(_ indices: [Int]) -> Dataset {
        var newFeatures: [Float] = []
        newFeatures.reserveCapacity(indices.count * featureCount)
        var newLabels: [Int] = []
        newLabels.reserveCapacity(indices.count)
        for index in indices {
            precondition((0..<count).contains(index), "row \(index) out of 0..<\(count)")
            newFeatures.append(contentsOf: features[(index * featureCount)..<((index + 1) * featureCount)])
            newLabels.append(labels[index])
        }
        return Dataset(featureCount: featureCount, features: newFeatures, labels: newLabels)
    }

    /// Seeded shuffle, then split: the first part has round(fraction × count) rows (fraction clamped
    /// to 0...1), the second the rest.
    public func split(fraction: Double, seed: UInt64) -> (Dataset, Dataset) {
        var order = Array(0..<count)
        var rng = SeededRNG(seed: seed)
        rng.shuffle(&order)
        let clamped = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let firstCount = Int((clamped * Double(count)).rounded())
        return (subset(Array(order[..<firstCount])), subset(Array(order[firstCount...])))
    }
}
