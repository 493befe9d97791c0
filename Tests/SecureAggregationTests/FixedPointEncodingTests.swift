import StarlingCore
import XCTest

@testable import SecureAggregation

/// The batched, vectorised encoding gives the very words of the plain definition: clip to [−c, c]
/// (NaN as 0), map onto [0, 2^b − 1], round up when the value's uniform number (the low then the
/// high half of one random number for each pair of values) over 2^32 falls below the fractional part.
final class FixedPointEncodingTests: XCTestCase {
    private func definition(_ codec: FixedPointCodec, _ value: Float, uniform: UInt32) -> UInt32 {
        let range = Double(codec.clippingRange)
        let clipped = value.isNaN ? 0 : min(max(Double(value), -range), range)
        let position = min((clipped + range) * codec.scale, Double((UInt64(1) << codec.bits) - 1))
        let whole = Int64(position)
        return UInt32(whole) + (Double(uniform) * 0x1p-32 < position - Double(whole) ? 1 : 0)
    }

    private func definition(
        _ codec: FixedPointCodec, _ values: [Float], scaledBy weight: Float, then tail: [Float], seed: UInt64
    ) -> [UInt32] {
        let all = values.map { weight * $0 } + tail
        var rng = SeededRNG(seed: seed)
        var uniforms: [UInt32] = []
        while uniforms.count + 1 < all.count {
            let random = rng.next()
            uniforms += [UInt32(truncatingIfNeeded: random), UInt32(truncatingIfNeeded: random >> 32)]
        }
        if uniforms.count < all.count { uniforms.append(UInt32(truncatingIfNeeded: rng.next())) }
        return zip(all, uniforms).map { definition(codec, $0, uniform: $1) }
    }

    func test_encodingGivesTheDefinitionsWords_atEdgesAndAcrossBatches() {
        let edges: [Float] = [
            0, 1, -1, 2, -2, 2.0000002, -2.0000002, .nan, .infinity, -.infinity, .leastNonzeroMagnitude,
            -.leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-7, 0.5, -0.5, 1.9999999,
        ]
        var random = SeededRNG(seed: 5)
        for (bits, range) in [(24, Float(2)), (31, Float(1)), (20, Float(0.5))] {
            let codec = FixedPointCodec(clippingRange: range, bits: bits)
            for (headCount, tailCount) in [(0, 0), (1, 0), (0, 3), (17, 1), (2_047, 2), (2_048, 1), (4_097, 3)] {
                let head = (0..<headCount).map { index in
                    index < edges.count ? edges[index] : Float(Double(random.next() % 5_000_001) / 1e6 - 2.5)
                }
                let tail = (0..<tailCount).map { Float($0) - 0.75 }
                var rng = SeededRNG(seed: UInt64(headCount))
                let encoded = codec.encode(head, scaledBy: 0.75, then: tail, using: &rng)
                XCTAssertTrue(
                    encoded == definition(codec, head, scaledBy: 0.75, then: tail, seed: UInt64(headCount)),
                    "\(bits) bits, ±\(range), \(headCount) + \(tailCount) values")
            }
        }
    }

    func test_positionsOnWholeNumbers_encodeAsThemWhateverTheUniform() {
        // 2^b − 1 ring units over 2c = 2^b − 1: a value v sits exactly on the ring element v + c.
        let codec = FixedPointCodec(clippingRange: Float((1 << 20) - 1) / 2, bits: 20)
        let values: [Float] = [-codec.clippingRange, -codec.clippingRange + 1, 0.5, codec.clippingRange]
        var rng = SeededRNG(seed: 1)
        XCTAssertEqual(codec.encode(values, using: &rng), [0, 1, 524_288, 1_048_575])
    }
}
