import CStarlingFixedPoint

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
    ///
    /// A value is clipped to [−c, c] (NaN as 0), mapped onto [0, 2^b − 1] and rounded up when its
    /// uniform number over 2^32 falls below the fractional part. The random numbers are drawn a
    /// batch at a time and each batch of values is encoded by one vectorised loop
    /// (`starling_fixed_point_encode`, C).
    @inlinable
    public func encode(
        _ values: [Float], scaledBy weight: Float, then tail: [Float], using rng: inout some RandomNumberGenerator
    ) -> [UInt32] {
        let split = values.count
        let total = split + tail.count
        let batch = 2_048
        let range = Double(clippingRange)
        let top = Double((UInt64(1) << bits) &- 1)
        return [UInt32](unsafeUninitializedCapacity: total) { words, initialized in
            guard let output = words.baseAddress else { return }
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: batch) { uniforms in
                guard let drawn = uniforms.baseAddress else { return }
                values.withUnsafeBufferPointer { head in
                    tail.withUnsafeBufferPointer { rest in
                        var start = 0
                        while start < total {
                            let end = Swift.min(start + batch, total)
                            Self.draw(end - start, into: drawn, using: &rng)
                            if start < split, let base = head.baseAddress {
                                starling_fixed_point_encode(
                                    base + start, Swift.min(end, split) - start, weight, drawn, range, scale, top,
                                    output + start)
                            }
                            if split < end, let base = rest.baseAddress {
                                let first = Swift.max(start, split)
                                starling_fixed_point_encode(
                                    base + (first - split), end - first, 1, drawn + (first - start), range, scale,
                                    top, output + first)
                            }
                            start = end
                        }
                        initialized = total
                    }
                }
            }
        }
    }

    /// `count` uniform 32-bit numbers for as many values: the low then the high half of one random
    /// number for each pair, the low half of a fresh one for a last odd value.
    @inlinable
    static func draw(
        _ count: Int, into uniforms: UnsafeMutablePointer<UInt32>, using rng: inout some RandomNumberGenerator
    ) {
        var index = 0
        while index + 1 < count {
            let random = rng.next()
            uniforms[index] = UInt32(truncatingIfNeeded: random)
            uniforms[index + 1] = UInt32(truncatingIfNeeded: random >> 32)
            index += 2
        }
        if index < count { uniforms[index] = UInt32(truncatingIfNeeded: rng.next()) }
    }

    /// The real sum behind `sum`, the ring sum of `count` encodings.
    public func decodeSum(_ sum: [UInt32], summands count: Int) -> [Double] {
        let offset = Double(count) * Double(clippingRange)
        return sum.map { Double($0) / scale - offset }
    }
}
