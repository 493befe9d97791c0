/// One non-empty bucket of a stored histogram: its index on the profile's ``LogBucketGrid`` and how
/// many values fell into it.
///
/// Exists so profiles store histograms sparsely (most of a feature's buckets are empty); in JSON it
/// is the pair `[index, count]`.
public struct BucketCount: Codable, Sendable, Equatable {
    /// Bucket index on the grid.
    public var index: Int
    /// Values in the bucket (> 0 in a stored histogram).
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        index = try container.decode(Int.self)
        count = try container.decode(Int.self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a bucket is [index, count]")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(index)
        try container.encode(count)
    }
}
