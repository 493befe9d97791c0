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
    /// building that vector (a device's whole update) first. Each random number rounds two values,
    /// 32 bits each: rounding up with probability within 2^−32 of the fractional part.
    @inlinable
    public func encode(
        _ values: [Float], scaledBy weight: Float, then tail: [Float], using rng: inout some RandomNumberGenerator
    ) -> [UInt32] {
        let total = values.count + tail.count
        return [UInt32](unsafeUninitializedCapacity: total) { words, initialized in
            values.withUnsafeBufferPointer { head in
                tail.withUnsafeBufferPointer { rest in
                    let split = head.count
                    func value(_ index: Int) -> Float { index < split ? weight * head[index] : rest[index &- split] }
                    var index = 0
                    while index &+ 1 < total {
                        let random = rng.next()
                        words[index] = word(value(index), uniform: UInt32(truncatingIfNeeded: random))
                        words[index &+ 1] = word(value(index &+ 1), uniform: UInt32(truncatingIfNeeded: random >> 32))
                        index &+= 2
                    }
                    if index < total {
                        words[index] = word(value(index), uniform: UInt32(truncatingIfNeeded: rng.next()))
                    }
                }
            }
            initialized = total
        }
    }

    /// One value clipped, mapped onto the ring's range and rounded up when `uniform` (a uniform
    /// 32-bit number) falls below its fractional part.
    @inlinable @inline(__always)
    func word(_ value: Float, uniform: UInt32) -> UInt32 {
        let range = Double(clippingRange)
        let clipped = value.isNaN ? 0 : Swift.min(Swift.max(Double(value), -range), range)
        // Never negative and at most 2^b − 1 < 2^32, so truncation is the floor and fits.
        let position = Swift.min((clipped + range) * scale, Double((UInt64(1) << bits) &- 1))
        let whole = Int64(position)
        let roundUp = Double(uniform) * 0x1p-32 < position - Double(whole)
        return UInt32(truncatingIfNeeded: whole) &+ (roundUp ? 1 : 0)
    }

    /// The real sum behind `sum`, the ring sum of `count` encodings.
    public func decodeSum(_ sum: [UInt32], summands count: Int) -> [Double] {
        let offset = Double(count) * Double(clippingRange)
        return sum.map { Double($0) / scale - offset }
    }
}
