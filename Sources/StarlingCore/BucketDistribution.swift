/// One feature's histogram on a ``LogBucketGrid`` read as a distribution: what the fleet's
/// extremes, quantiles and cumulative proportions are, given only bucket counts.
///
/// The zero bucket is read as a point mass at 0 and each clipped bucket as a point mass at
/// ±`largest` (values there are known only to be beyond it); every other bucket spreads its count
/// uniformly between its edges. Quantiles and ``fractionBelow(_:)`` use the same reading, so a
/// quantile-based bin holds the proportion ``fractionBelow(_:)`` says.
struct BucketDistribution: Sendable {
    let grid: LogBucketGrid
    /// Dense counts, `grid.bucketCount` of them.
    let counts: [Int]
    /// Σ counts.
    let total: Int

    init(grid: LogBucketGrid, counts: [Int]) {
        precondition(counts.count == grid.bucketCount, "a distribution has one count per bucket")
        self.grid = grid
        self.counts = counts
        total = counts.reduce(0, +)
    }

    init(grid: LogBucketGrid, sparse: [BucketCount]) {
        var counts = [Int](repeating: 0, count: grid.bucketCount)
        for entry in sparse { counts[entry.index] += entry.count }
        self.init(grid: grid, counts: counts)
    }

    /// The same histogram with only the buckets `keep` accepts.
    func restricted(to keep: (Int) -> Bool) -> BucketDistribution {
        BucketDistribution(grid: grid, counts: counts.indices.map { keep($0) ? counts[$0] : 0 })
    }

    /// Where a point-mass bucket's values are taken to be; `nil` for a bucket read as an interval.
    func atom(_ index: Int) -> Double? {
        if index == grid.zeroIndex { return 0 }
        if index == grid.negativeClippedIndex { return -grid.largest }
        if index == grid.positiveClippedIndex { return grid.largest }
        return nil
    }

    /// The outer edge of the lowest non-empty bucket (0 when empty).
    var minimum: Double {
        guard let first = counts.firstIndex(where: { $0 > 0 }) else { return 0 }
        return atom(first) ?? grid.lowerEdge(first)
    }

    /// The outer edge of the highest non-empty bucket (0 when empty).
    var maximum: Double {
        guard let last = counts.lastIndex(where: { $0 > 0 }) else { return 0 }
        return atom(last) ?? grid.upperEdge(last)
    }

    /// The value below which a fraction `level` of the mass lies, interpolated linearly inside the
    /// bucket that holds it (0 when empty). Level 0 gives ``minimum``, level 1 ``maximum``.
    func quantile(_ level: Double) -> Double {
        let target = min(max(level, 0), 1) * Double(total)
        var below = 0.0
        for index in counts.indices where counts[index] > 0 {
            let count = Double(counts[index])
            if below + count >= target {
                if let point = atom(index) { return point }
                let lower = grid.lowerEdge(index), upper = grid.upperEdge(index)
                let fraction = min(max((target - below) / count, 0), 1)
                return lower + fraction * (upper - lower)
            }
            below += count
        }
        return maximum
    }

    /// The edge of the bucket holding quantile `level` that is nearer in rank: the lower edge when
    /// less than half the bucket's count lies below the level, else the upper one (always the finite
    /// edge of a clipped bucket).
    func bucketEdge(nearQuantile level: Double) -> Double {
        let target = min(max(level, 0), 1) * Double(total)
        var below = 0.0
        for index in counts.indices where counts[index] > 0 {
            let count = Double(counts[index])
            if below + count >= target {
                let lower = grid.lowerEdge(index), upper = grid.upperEdge(index)
                if !lower.isFinite { return upper }
                if !upper.isFinite { return lower }
                return target - below < count / 2 ? lower : upper
            }
            below += count
        }
        return maximum
    }

    /// P(X < `value`) under the reading above (0 when empty); the negative clipped bucket counts as
    /// below −`largest`, where its values are. At a bucket edge this is an exact sum of whole buckets.
    func fractionBelow(_ value: Double) -> Double {
        precondition(!value.isNaN, "NaN has no rank")
        guard total > 0 else { return 0 }
        let bucket = grid.index(of: value)
        var below = Double(counts[..<bucket].reduce(0, +))
        let count = Double(counts[bucket])
        if let point = atom(bucket) {
            if point < value || bucket == grid.negativeClippedIndex { below += count }
        } else {
            let lower = grid.lowerEdge(bucket), upper = grid.upperEdge(bucket)
            below += count * min(max((value - lower) / (upper - lower), 0), 1)
        }
        return below / Double(total)
    }
}
