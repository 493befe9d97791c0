/// Bins of one feature with the proportion of the reference (profile) population expected in each:
/// what a drift statistic (PSI, a binned Kolmogorov–Smirnov distance) compares live proportions with.
///
/// Bin i holds the values x with edges[i−1] ≤ x < edges[i]; the first bin is open below, the last
/// open above, so `edges.count + 1` bins cover every non-NaN value. Every bin's expected proportion
/// is positive and they add up to 1.
public struct ReferenceBins: Codable, Sendable, Equatable {
    /// Increasing inner edges.
    public var edges: [Double]
    /// Expected proportion per bin, `edges.count + 1` of them.
    public var expected: [Double]

    /// The bin of `value` (`nil` for NaN).
    public func index(of value: Float) -> Int? {
        guard !value.isNaN else { return nil }
        let x = Double(value)
        var low = 0, high = edges.count
        while low < high {
            let middle = (low + high) / 2
            if edges[middle] <= x { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// How many of `values` fall into each bin; NaN values are left out.
    public func counts(of values: some Sequence<Float>) -> [Int] {
        var counts = [Int](repeating: 0, count: expected.count)
        for value in values {
            if let bin = index(of: value) { counts[bin] += 1 }
        }
        return counts
    }
}

extension FeatureProfile {
    /// Up to `count` bins of feature `feature` holding about equal shares of the fleet's values, with
    /// the share each holds.
    ///
    /// Edges are the bucket edges nearest the quantiles k/`count`, so every bin is a union of whole
    /// buckets and its expected share is the reference's exact share, not a guess about where values
    /// lie inside a bucket. The price is the grid's resolution: a bin spans at least one bucket (a
    /// factor γ ≈ 1.33 in |x| on the standard grid), so a feature whose values all lie in a few
    /// buckets gets few bins. A point mass of zeros holding at least 1/`count` of the values gets a
    /// bin of its own, [−`smallest`, `smallest`), and the other values are split among themselves, so
    /// a mostly-zero feature still gets bins over its non-zero part. Equal edges collapse and a bin
    /// the reference leaves empty merges into its neighbour, so every bin has a positive share.
    public func referenceBins(feature: Int, count: Int = 10) throws(FeatureStatisticsError) -> ReferenceBins {
        precondition(count >= 1, "at least one bin")
        let distribution = try distribution(feature: feature)
        guard distribution.total > 0 else { throw .emptyFeature(feature) }
        let zero = grid.zeroIndex
        let zeroShare = Double(distribution.counts[zero]) / Double(distribution.total)
        let isolateZero = count > 1 && zeroShare >= 1 / Double(count) && zeroShare < 1
        var edges: [Double]
        if isolateZero {
            let rest = distribution.restricted { $0 != zero }
            let bins = count - 1
            edges = (1..<bins).map { rest.bucketEdge(nearQuantile: Double($0) / Double(bins)) }
            edges.removeAll { (-grid.smallest...grid.smallest).contains($0) }
            edges += [-grid.smallest, grid.smallest]
        } else {
            edges = (1..<count).map { distribution.bucketEdge(nearQuantile: Double($0) / Double(count)) }
        }
        edges = Array(Set(edges)).sorted()
        var expected = Self.shares(between: edges, of: distribution)
        while let empty = expected.firstIndex(where: { $0 <= 0 }) {
            edges.remove(at: empty == 0 ? 0 : empty - 1)
            expected = Self.shares(between: edges, of: distribution)
        }
        return ReferenceBins(edges: edges, expected: expected)
    }

    private static func shares(between edges: [Double], of distribution: BucketDistribution) -> [Double] {
        let cumulative = [0] + edges.map(distribution.fractionBelow) + [1]
        return (0..<(edges.count + 1)).map { cumulative[$0 + 1] - cumulative[$0] }
    }
}
