/// What a device's inputs are compared with to measure drift: per feature, up to ten bins holding
/// about a tenth of the training profile's values each, and the profile's share in each bin.
///
/// Exists because a drift score needs the training distribution on the device, and the profile's
/// log-spaced histograms (243 buckets per feature) are too fine to compare with a few minutes of
/// traffic: most buckets would be empty on one side. Decile bins are what population-stability
/// reports use. Each bin is a run of whole profile buckets, so the reference shares are exact, and
/// holds at least a twentieth of the values; features with ties (a value holding more than a tenth
/// of the profile) or whose buckets are coarse next to their spread get fewer bins.
public struct DriftReference: Codable, Sendable, Equatable {
    /// The most bins a feature gets.
    public static let maximumBins = 10

    /// Per feature, the increasing edges between its bins: a value x falls into bin
    /// `count of edges ≤ x`, so `edges[j].count + 1` bins.
    public let edges: [[Double]]
    /// Per feature, the profile's share of values in each bin (they sum to 1; a feature the
    /// profile holds no value of has one bin with share 1).
    public let shares: [[Double]]

    /// Features compared.
    public var width: Int { edges.count }

    /// The decile bins of every feature of `profile`.
    public init(profile: FeatureProfile) {
        var edges: [[Double]] = []
        var shares: [[Double]] = []
        for histogram in profile.histograms {
            let total = histogram.reduce(0) { $0 + $1.count }
            guard total > 0 else {
                edges.append([])
                shares.append([1])
                continue
            }
            var featureEdges: [Double] = []
            var featureShares: [Double] = []
            var inBin = 0
            var cumulative = 0
            var nextCut = 1
            for (position, bucket) in histogram.enumerated() {
                inBin += bucket.count
                cumulative += bucket.count
                let isLast = position == histogram.count - 1
                // Close the bin once it reaches the next tenth of the values and holds at least a
                // twentieth (a bucket that ends just past a tenth makes no sliver of a bin).
                guard !isLast, cumulative * Self.maximumBins >= nextCut * total,
                    inBin * 2 * Self.maximumBins >= total
                else { continue }
                featureEdges.append(profile.grid.upperEdge(bucket.index))
                featureShares.append(Double(inBin) / Double(total))
                inBin = 0
                while nextCut * total <= cumulative * Self.maximumBins { nextCut += 1 }
            }
            if inBin * 2 * Self.maximumBins < total, let last = featureShares.popLast() {
                // A last sliver joins the bin before it.
                featureEdges.removeLast()
                inBin += Int((last * Double(total)).rounded())
            }
            featureShares.append(Double(inBin) / Double(total))
            edges.append(featureEdges)
            shares.append(featureShares)
        }
        self.edges = edges
        self.shares = shares
    }

    /// The bin of `value` for feature `feature`.
    @inline(__always)
    public func bin(of value: Double, feature: Int) -> Int {
        let featureEdges = edges[feature]
        var low = 0
        var high = featureEdges.count
        while low < high {
            let middle = (low + high) / 2
            if featureEdges[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// How many bins feature `feature` has.
    public func binCount(feature: Int) -> Int { edges[feature].count + 1 }
}
