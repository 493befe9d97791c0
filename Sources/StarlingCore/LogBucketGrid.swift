#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fixed, versioned histogram grid whose buckets are log-spaced in |x|, so that one grid covers
/// features whose scales differ by many decades and histograms from every device add up bucket by
/// bucket.
///
/// Exists because a fleet profile is a sum of per-device histograms: every device must put every
/// value into the same bucket, whatever its scale, and the sum must stay meaningful (DDSketch,
/// Masson, Rim & Lee 2019, uses the same idea for mergeable quantile sketches).
///
/// Buckets, in increasing order of value, with γ = 10^(1/b), b = `bucketsPerDecade`,
/// e_k = `smallest`·γ^k and m = b · decades positive buckets (e_m = `largest`):
///
/// | index | values |
/// |---|---|
/// | 0 | x ≤ −`largest` (clipped) |
/// | 1 … m | −e_{k+1} < x ≤ −e_k for k = m−1 … 0 |
/// | m + 1 (`zeroIndex`) | \|x\| < `smallest` |
/// | m + 2 … 2m + 1 | e_k ≤ x < e_{k+1} for k = 0 … m−1 |
/// | 2m + 2 | x ≥ `largest` (clipped) |
///
/// A bucket's ``representative(_:)`` is the harmonic mean of its edges, 2·lo·hi / (lo + hi), which is
/// within the relative accuracy α = (γ − 1)/(γ + 1) of every value in the bucket; the default grid
/// (1e-6 … 1e9, 8 buckets per decade, 243 buckets) has γ ≈ 1.334 and α ≈ 0.143.
///
/// Identical on every platform: the edges are built from `smallest`, exact powers of ten and
/// repeated square roots of 10 (hence `bucketsPerDecade` is a power of two), all operations that
/// IEEE 754 rounds correctly everywhere. ``index(of:)`` guesses with `log10` and then settles the
/// bucket by comparing with those edges, so a libm that rounds `log10` differently cannot move a
/// value across an edge.
public struct LogBucketGrid: Codable, Sendable, Equatable {
    /// The version of the layout above; stored with the parameters so a stored histogram is never
    /// read with another bucket formula.
    public static let layoutVersion = 1
    /// Upper limit on decades: 10^d is an exact `Double` up to d = 22.
    public static let maximumDecades = 22
    /// Bucket densities whose ratios are square-root chains of 10.
    public static let allowedBucketsPerDecade: Set<Int> = [1, 2, 4, 8, 16, 32, 64]

    /// The grid every profile uses unless it says otherwise: 1e-6 … 1e9, 8 buckets per decade.
    public static let standard = LogBucketGrid(validSmallest: 1e-6, largest: 1e9, bucketsPerDecade: 8)

    /// Magnitudes below this fall into the zero bucket.
    public let smallest: Double
    /// Magnitudes at or above this fall into the two outermost (clipped) buckets.
    public let largest: Double
    /// Buckets per factor of ten in |x|.
    public let bucketsPerDecade: Int
    /// e_0 … e_m: the magnitude edges of the positive buckets.
    private let edges: [Double]

    /// Validates: 0 < `smallest` < `largest`, both finite, `largest`/`smallest` a whole number of
    /// decades (1…22) and `bucketsPerDecade` a power of two up to 64.
    public init(smallest: Double, largest: Double, bucketsPerDecade: Int) throws(FeatureStatisticsError) {
        guard smallest.isFinite, largest.isFinite, smallest > 0, largest > smallest else {
            throw .invalidGrid("smallest \(smallest) and largest \(largest) must be finite with 0 < smallest < largest")
        }
        guard Self.allowedBucketsPerDecade.contains(bucketsPerDecade) else {
            throw .invalidGrid("\(bucketsPerDecade) buckets per decade: use a power of two from 1 to 64")
        }
        let decades = log10(largest / smallest)
        guard (1...Double(Self.maximumDecades)).contains(decades.rounded()),
            abs(decades - decades.rounded()) < 1e-9
        else {
            throw .invalidGrid("largest/smallest is 10^\(decades): it must be a whole number of decades from 1 to 22")
        }
        self.init(validSmallest: smallest, largest: largest, bucketsPerDecade: bucketsPerDecade)
    }

    private init(validSmallest smallest: Double, largest: Double, bucketsPerDecade: Int) {
        self.smallest = smallest
        self.largest = largest
        self.bucketsPerDecade = bucketsPerDecade
        edges = Self.magnitudeEdges(
            smallest: smallest, largest: largest, decades: Int(log10(largest / smallest).rounded()),
            bucketsPerDecade: bucketsPerDecade)
    }

    /// Positive (log-spaced) buckets: m = b · decades.
    public var magnitudeBucketCount: Int { edges.count - 1 }
    /// Total buckets: m negative, one zero, m positive and two clipped.
    public var bucketCount: Int { 2 * magnitudeBucketCount + 3 }
    /// The bucket of |x| < `smallest`.
    public var zeroIndex: Int { magnitudeBucketCount + 1 }
    /// The bucket of x ≤ −`largest`.
    public var negativeClippedIndex: Int { 0 }
    /// The bucket of x ≥ `largest`.
    public var positiveClippedIndex: Int { bucketCount - 1 }
    /// Ratio of a bucket's edges, γ = 10^(1/b).
    public var gamma: Double { edges[1] / edges[0] }
    /// α = (γ − 1)/(γ + 1): the largest relative distance from a value to its bucket's representative.
    public var relativeAccuracy: Double { (gamma - 1) / (gamma + 1) }

    /// Whether `index` is one of the two buckets beyond ±`largest`.
    public func isClipped(_ index: Int) -> Bool {
        index == negativeClippedIndex || index == positiveClippedIndex
    }

    /// The bucket of `value`; ±∞ fall into the clipped buckets.
    ///
    /// - Precondition: `value` is not NaN (statistics reject non-finite values before binning).
    public func index(of value: Double) -> Int {
        precondition(!value.isNaN, "NaN has no bucket")
        let magnitude = value.magnitude
        if magnitude < smallest { return zeroIndex }
        if magnitude >= largest { return value < 0 ? negativeClippedIndex : positiveClippedIndex }
        let m = magnitudeBucketCount
        let guess = (log10(magnitude / smallest) * Double(bucketsPerDecade)).rounded(.down)
        var k = guess.isFinite ? min(max(Int(guess), 0), m - 1) : 0
        while k > 0, magnitude < edges[k] { k -= 1 }
        while k < m - 1, magnitude >= edges[k + 1] { k += 1 }
        return value < 0 ? m - k : m + 2 + k
    }

    /// The smaller edge of bucket `index` (−∞ for the negative clipped bucket).
    public func lowerEdge(_ index: Int) -> Double {
        let m = magnitudeBucketCount
        precondition((0..<bucketCount).contains(index), "bucket \(index) is outside 0..<\(bucketCount)")
        switch index {
        case 0: return -.infinity
        case 1...m: return -edges[m - index + 1]
        case m + 1: return -smallest
        case bucketCount - 1: return largest
        default: return edges[index - m - 2]
        }
    }

    /// The larger edge of bucket `index` (+∞ for the positive clipped bucket).
    public func upperEdge(_ index: Int) -> Double {
        let m = magnitudeBucketCount
        precondition((0..<bucketCount).contains(index), "bucket \(index) is outside 0..<\(bucketCount)")
        switch index {
        case 0: return -largest
        case 1...m: return -edges[m - index]
        case m + 1: return smallest
        case bucketCount - 1: return .infinity
        default: return edges[index - m - 1]
        }
    }

    /// One value standing for bucket `index`: 0 for the zero bucket, ±`largest` for the clipped
    /// buckets, otherwise the harmonic mean of the edges (within ``relativeAccuracy`` of every value
    /// in the bucket).
    public func representative(_ index: Int) -> Double {
        if index == zeroIndex { return 0 }
        if index == negativeClippedIndex { return -largest }
        if index == positiveClippedIndex { return largest }
        let lower = lowerEdge(index), upper = upperEdge(index)
        return 2 * lower * upper / (lower + upper)
    }

    /// e_k = smallest · 10^⌊k/b⌋ · 10^((k mod b)/b), the last factor a product of square roots of 10
    /// chosen by the bits of k mod b; e_m is `largest` exactly.
    private static func magnitudeEdges(
        smallest: Double, largest: Double, decades: Int, bucketsPerDecade b: Int
    ) -> [Double] {
        let halvings = b.trailingZeroBitCount
        // roots[i] = 10^(2^i / b): square root of 10, halvings − i times.
        let roots: [Double] = (0..<halvings).map { i in
            var root = 10.0
            for _ in 0..<(halvings - i) { root = root.squareRoot() }
            return root
        }
        var powersOfTen = [1.0]
        for _ in 0..<decades { powersOfTen.append(powersOfTen[powersOfTen.count - 1] * 10) }
        var edges: [Double] = []
        edges.reserveCapacity(decades * b + 1)
        for k in 0..<(decades * b) {
            var edge = smallest * powersOfTen[k / b]
            for i in 0..<halvings where (k % b) & (1 << i) != 0 { edge *= roots[i] }
            edges.append(edge)
        }
        edges.append(largest)
        return edges
    }

    private enum CodingKeys: String, CodingKey { case version, smallest, largest, bucketsPerDecade }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.layoutVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription:
                    "grid layout version \(version) is not \(Self.layoutVersion), the one this build reads")
        }
        do {
            try self.init(
                smallest: container.decode(Double.self, forKey: .smallest),
                largest: container.decode(Double.self, forKey: .largest),
                bucketsPerDecade: container.decode(Int.self, forKey: .bucketsPerDecade))
        } catch let error as FeatureStatisticsError {
            throw DecodingError.dataCorruptedError(
                forKey: .smallest, in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.layoutVersion, forKey: .version)
        try container.encode(smallest, forKey: .smallest)
        try container.encode(largest, forKey: .largest)
        try container.encode(bucketsPerDecade, forKey: .bucketsPerDecade)
    }

    public static func == (lhs: LogBucketGrid, rhs: LogBucketGrid) -> Bool {
        lhs.smallest == rhs.smallest && lhs.largest == rhs.largest && lhs.bucketsPerDecade == rhs.bucketsPerDecade
    }
}
