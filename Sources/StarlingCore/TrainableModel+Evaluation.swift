#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A model's figures on a labelled set: mean cross-entropy, and the confusion matrix from which
/// accuracy follows. What a device reports in a federated evaluation.
public struct EvaluationCounts: Sendable, Equatable {
    /// Rows evaluated.
    public var samples: Int
    /// Mean of −log p(true class), with p floored at the smallest positive Float so it stays finite.
    public var meanLoss: Double
    /// `confusion[i][j]`: rows of class i predicted as class j.
    public var confusion: [[Int]]

    /// Fraction of rows predicted right (0 for none).
    public var accuracy: Double {
        guard samples > 0 else { return 0 }
        return Double((0..<confusion.count).reduce(0) { $0 + confusion[$1][$1] }) / Double(samples)
    }
}

extension TrainableModel {
    /// Evaluates on `rows` rows of already preprocessed `features` with class indices `labels`.
    public func evaluate(features: [Float], labels: [Int], rows: Int) -> EvaluationCounts {
        let classes = classCount
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        guard rows > 0 else { return EvaluationCounts(samples: 0, meanLoss: 0, confusion: confusion) }
        let probabilities = probabilities(features: features, rows: rows)
        var lossSum = 0.0
        for row in 0..<rows {
            let scores = probabilities[(row * classes)..<((row + 1) * classes)]
            let label = labels[row]
            precondition((0..<classes).contains(label), "label \(label) is outside 0..<\(classes)")
            let predicted = scores.indices.max { scores[$0] < scores[$1] }.map { $0 - row * classes } ?? 0
            confusion[label][predicted] += 1
            lossSum -= log(Double(max(scores[row * classes + label], .leastNormalMagnitude)))
        }
        return EvaluationCounts(samples: rows, meanLoss: lossSum / Double(rows), confusion: confusion)
    }
}
