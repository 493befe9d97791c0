#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Everything the clients and the server of one secure aggregation must agree on, fixed when the
/// cohort is: who takes part, how many must survive, the neighbour graph, and how update values
/// become ring elements.
///
/// Arithmetic is in Z/2^32. Each client's input value is encoded in `fixedPointBits` bits, chosen
/// so that the sum of all `clientCount` inputs is below 2^32 and cannot wrap; when this aggregation
/// is one group of a larger cohort whose group sums are added together, so that the sum of all
/// `summandLimit` inputs cannot wrap either.
public struct SecAggParameters: Codable, Sendable, Equatable {
    /// Identifies the aggregation in every derived key and message (the round and its iteration).
    public var roundId: String
    /// n: clients in the cohort, numbered 0..<n.
    public var clientCount: Int
    /// t: the fewest clients that must survive every stage; fewer aborts the round.
    public var threshold: Int
    /// k: neighbours per client (n − 1 for the full graph).
    public var neighbourCount: Int
    /// Shares of a client's secrets that reconstruct them (t for the full graph).
    public var shareThreshold: Int
    /// Seeds the neighbour graph; the same for every party.
    public var graphSeed: UInt64
    /// Ring elements per input vector.
    public var vectorLength: Int
    /// Inputs are clipped to [−clippingRange, clippingRange] before encoding.
    public var clippingRange: Float
    /// Bits per encoded input value.
    public var fixedPointBits: Int

    /// Cohorts up to this size use the full graph: every client is every other's neighbour.
    public static let fullGraphLimit = 32
    /// Shares are indexed by GF(2^8) points, so a neighbourhood holds at most 255 clients.
    public static let maximumNeighbours = 254

    /// Parameters for `clientCount` clients with survival threshold `threshold`, and
    /// `neighbourCount` neighbours per client if given (even, or n − 1 for the full graph),
    /// otherwise ``defaultNeighbourCount(clientCount:threshold:)``. `summandLimit` is the most inputs
    /// whose sum is ever decoded at once: the whole cohort when this is one of its groups, the
    /// clients otherwise (nil); the encoding leaves room for that many. On the full graph a client's
    /// secrets need t shares; on a sparse one ⌈t·(k+1)/n⌉, the same fraction of each
    /// neighbourhood as t is of the cohort (Bell et al. 2020).
    public init(
        roundId: String, clientCount: Int, threshold: Int, vectorLength: Int, clippingRange: Float,
        graphSeed: UInt64, neighbourCount: Int? = nil, summandLimit: Int? = nil
    ) throws(SecAggError) {
        guard !roundId.isEmpty, !roundId.contains("|") else {
            throw .invalidParameters("the round id must be non-empty and free of '|'")
        }
        guard clientCount >= 1 else { throw .invalidParameters("a cohort needs at least one client") }
        guard (1...clientCount).contains(threshold) else {
            throw .invalidParameters("threshold \(threshold) must be 1…\(clientCount)")
        }
        guard vectorLength >= 1, vectorLength <= Int(UInt32.max / 4) else {
            throw .invalidParameters("vector length \(vectorLength) is out of range")
        }
        guard clippingRange.isFinite, clippingRange > 0 else {
            throw .invalidParameters("clipping range must be a positive number")
        }
        let summands = summandLimit ?? clientCount
        guard summands >= clientCount else {
            throw .invalidParameters("a sum of \(summands) inputs cannot hold all \(clientCount) clients")
        }
        let bits = 32 - (Int.bitWidth - summands.leadingZeroBitCount)
        guard bits >= 16 else {
            throw .invalidParameters("sums of \(summands) inputs leave only \(bits) bits per value in Z/2^32")
        }
        let neighbours =
            try neighbourCount.map { count throws(SecAggError) in
                guard (0...(clientCount - 1)).contains(count), count == clientCount - 1 || count % 2 == 0 else {
                    throw .invalidParameters(
                        "\(count) neighbours: need an even number below \(clientCount), or \(clientCount - 1)")
                }
                return count
            } ?? Self.defaultNeighbourCount(clientCount: clientCount, threshold: threshold)
        let shareThreshold =
            neighbours == clientCount - 1
            ? threshold : max(1, (threshold * (neighbours + 1) + clientCount - 1) / clientCount)
        guard neighbours <= Self.maximumNeighbours else {
            throw .invalidParameters(
                "\(neighbours) neighbours exceed the \(Self.maximumNeighbours) that shares can index")
        }
        self.roundId = roundId
        self.clientCount = clientCount
        self.threshold = threshold
        self.neighbourCount = neighbours
        self.shareThreshold = shareThreshold
        self.graphSeed = graphSeed
        self.vectorLength = vectorLength
        self.clippingRange = clippingRange
        self.fixedPointBits = bits
    }

    /// The full graph up to ``fullGraphLimit`` clients; beyond, the smallest even k ≥ c·log₂ n with
    /// c = max(3, 2n/t), so that a lower threshold (more tolerated dropouts) buys more neighbours.
    public static func defaultNeighbourCount(clientCount: Int, threshold: Int) -> Int {
        guard clientCount > fullGraphLimit else { return clientCount - 1 }
        let factor = max(3, 2 * Double(clientCount) / Double(threshold))
        let wanted = Int((factor * log2(Double(clientCount))).rounded(.up))
        return min(clientCount - 1, maximumNeighbours, wanted + wanted % 2)
    }
}
