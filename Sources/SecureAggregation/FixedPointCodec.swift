/// Turns real update values into ring elements and sums back into reals.
///
/// A value is clipped to [−c, c], mapped affinely onto [0, 2^b − 1] and rounded stochastically
/// (up with probability equal to the fractional part), so the encoding is unbiased; the sum of m
/// encodings decodes by the inverse map minus m·c. With b from ``SecAggParameters`` the sum of the
/// whole cohort stays below 2^32.
public struct FixedPointCodec: Sendable {
    public let clippingRange: Float
    public let bits: Int
    /// Ring units per unit of value: (2^b − 1) / 2c.
    public let scale: Double

    public init(clippingRange: Float, bits: Int) {
        self.clippingRange = clippingRange
        self.bits = bits
        scale = Double((UInt64(1) << bits) - 1) / (2 * Double(clippingRange))
    }

    public init(_ parameters: SecAggParameters) {
        self.init(clippingRange: parameters.clippingRange, bits: parameters.fixedPointBits)
    }

    /// The largest error one decoded value of a sum of `count` encodings can carry: one ring unit
    /// per summand.
    public func maximumError(summands count: Int) -> Double { Double(count) / scale }

    /// Specialised at the caller (inlinable): a generic call per value would cost more than the
    /// rounding itself, and every device encodes its whole update once a round.
    @inlinable
    public func encode(_ values: [Float], using rng: inout some RandomNumberGenerator) -> [UInt32] {
        encode(values, scaledBy: 1, then: [], using: &rng)
    }

    /// The encoding of `values` each multiplied by `weight` (in `Float`), followed by `tail` as they
    /// are: what ``encode(_:using:)`` gives for `values.map { weight * $0 } + tail`, without
    /// building that vector (a device's whole update) first.
    @inlinable
    public func encode(
        _ values: [Float], scaledBy weight: Float, then tail: [Float], using rng: inout some RandomNumberGenerator
    ) -> [UInt32] {
        let (range, scale) = (Double(clippingRange), scale)
        let top = Double((UInt64(1) << bits) - 1)
        return [UInt32](unsafeUninitializedCapacity: values.count + tail.count) { words, initialized in
            for (part, factor) in [(values, weight), (tail, 1)] {
                part.withUnsafeBufferPointer { part in
                    for value in part {
                        let scaled = factor * value
                        let clipped = scaled.isNaN ? 0 : min(max(Double(scaled), -range), range)
                        // Never negative and at most 2^32 − 1, so truncation is the floor.
                        let position = min((clipped + range) * scale, top)
                        let whole = UInt32(position)
                        let roundUp = Double(rng.next() >> 11) * 0x1p-53 < position - Double(whole)
                        words[initialized] = whole + (roundUp ? 1 : 0)
                        initialized += 1
                    }
                }
            }
        }
    }

    /// The real sum behind `sum`, the ring sum of `count` encodings.
    public func decodeSum(_ sum: [UInt32], summands count: Int) -> [Double] {
        let offset = Double(count) * Double(clippingRange)
        return sum.map { Double($0) / scale - offset }
    }
}
