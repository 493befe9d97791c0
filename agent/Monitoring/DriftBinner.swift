import StarlingCore

/// Counts inputs into the bins of a ``DriftReference`` fast, off the request path: the edges laid
/// out flat with a fixed stride (padded with +∞), each feature's bin found by counting the edges
/// at or below its value with no branch, and the counts kept in one flat array.
struct DriftBinner {
    let width: Int
    private let stride: Int
    private let edges: [Double]
    /// Where each feature's bins start in `counts`.
    private let offsets: [Int]
    private(set) var counts: [Int]

    init(_ reference: DriftReference) {
        width = reference.width
        stride = reference.edges.map(\.count).max() ?? 0
        var edges = [Double](repeating: .infinity, count: reference.width * stride)
        var offsets: [Int] = []
        var total = 0
        for (feature, featureEdges) in reference.edges.enumerated() {
            for (index, edge) in featureEdges.enumerated() { edges[feature * stride + index] = edge }
            offsets.append(total)
            total += featureEdges.count + 1
        }
        self.edges = edges
        self.offsets = offsets
        counts = [Int](repeating: 0, count: total)
    }

    /// Counts one input row; a row of another width is left out.
    mutating func add(_ row: [Double]) {
        guard row.count == width else { return }
        let stride = stride
        edges.withUnsafeBufferPointer { edges in
            offsets.withUnsafeBufferPointer { offsets in
                counts.withUnsafeMutableBufferPointer { counts in
                    row.withUnsafeBufferPointer { row in
                        for feature in 0..<row.count {
                            let value = row[feature]
                            var bin = 0
                            for index in (feature * stride)..<((feature + 1) * stride) where value >= edges[index] {
                                bin += 1
                            }
                            counts[offsets[feature] + bin] += 1
                        }
                    }
                }
            }
        }
    }

    /// The counts per feature and bin, shaped as a window's `features`.
    var perFeature: [[Int]] {
        (0..<width).map { feature in
            let end = feature + 1 < width ? offsets[feature + 1] : counts.count
            return Array(counts[offsets[feature]..<end])
        }
    }
}
