/// Real values as wide two's-complement fixed-point numbers split into 20-bit limbs, one limb per
/// word of Z/2^32, so that sums spanning many decades travel exactly through secure aggregation.
///
/// ``FixedPointCodec`` and ``SignedFixedPoint`` fit one value in one 32-bit word, which cannot carry
/// both a sum of squares near 1e24 (values of 1e9 over a million rows) and the 1e-9 resolution that
/// features of scale 1e-3 need. Here a value v becomes the integer round(v · 2^40) in 140-bit two's
/// complement, written as 7 limbs of 20 bits, least significant first.
///
/// - Every limb is below 2^20, so the word-wise sum of up to ``maximumSummands`` = 4096 encodings is
///   below 4096 · 2^20 = 2^32 and never wraps in Z/2^32.
/// - ``decodeSum(_:)`` propagates the carries between the limb sums with exact integer arithmetic
///   (`UInt64` digits, `UInt128` for the low 120 bits), which recovers Σ v_i · 2^40 modulo 2^140, and
///   reads it as a signed number: exact as long as |Σ v_i| < 2^99.
/// - Hence each value is clamped to ±``maximumMagnitude`` = 2^86 ≈ 7.7e25 (4096 · 2^86 = 2^98) and
///   the encoder reports the clamp; the resolution is 2^-40 ≈ 9.1e-13, so a decoded sum of n
///   encodings is within n · 2^-41 of the true sum before the final conversion to `Double`, which
///   adds a relative error of about 2^-52.
public enum WideFixedPoint {
    /// Bits per limb.
    public static let limbBits = 20
    /// Limbs per value: 140 bits in all.
    public static let limbCount = 7
    /// Bits after the binary point: the resolution is 2^-40.
    public static let fractionBits = 40
    /// Encodings whose word-wise sum cannot wrap: 4096 · (2^20 − 1) < 2^32.
    public static let maximumSummands = 4096
    /// Values are clamped to ±2^86, so that 4096 of them sum to less than 2^98 in magnitude.
    public static let maximumMagnitude = 0x1p86

    private static let limbMask: UInt64 = (1 << 20) - 1

    /// Appends the limbs of `value` to `words` and returns whether the value was clamped
    /// (|value| > ``maximumMagnitude``, ±∞ clamp likewise, NaN encodes as 0 and counts as clamped).
    @discardableResult
    public static func encode(_ value: Double, into words: inout [UInt32]) -> Bool {
        let clipped = value.isNaN || value.magnitude > maximumMagnitude
        let bounded = value.isNaN ? 0 : min(max(value, -maximumMagnitude), maximumMagnitude)
        // |bounded| · 2^40 ≤ 2^126, so the rounded integer fits Int128 exactly.
        let units = Int128((bounded * 0x1p40).rounded(.toNearestOrEven))
        for limb in 0..<limbCount {
            // An arithmetic shift sign-extends past bit 127, as the 140-bit two's complement does.
            let digit = UInt64(truncatingIfNeeded: units >> (limb * limbBits)) & limbMask
            words.append(UInt32(digit))
        }
        return clipped
    }

    /// The limbs of one value.
    public static func encode(_ value: Double) -> (words: [UInt32], clipped: Bool) {
        var words: [UInt32] = []
        words.reserveCapacity(limbCount)
        let clipped = encode(value, into: &words)
        return (words, clipped)
    }

    /// The real sum behind `limbSums`, the word-wise Z/2^32 sum of at most ``maximumSummands``
    /// encodings (exactly ``limbCount`` words).
    public static func decodeSum(_ limbSums: some Collection<UInt32>) -> Double {
        precondition(limbSums.count == limbCount, "a wide fixed-point value has \(limbCount) limbs")
        // Carry-propagate the limb sums into 20-bit digits of the 140-bit total (modulo 2^140).
        var digits = [UInt64](repeating: 0, count: limbCount)
        var carry: UInt64 = 0
        for (limb, sum) in limbSums.enumerated() {
            let total = UInt64(sum) + carry
            digits[limb] = total & limbMask
            carry = total >> limbBits
        }
        let negative = digits[limbCount - 1] >> (limbBits - 1) == 1
        if negative {
            // Two's-complement negation over 140 bits: invert every digit, then add one.
            var increment: UInt64 = 1
            for limb in 0..<limbCount {
                let total = (~digits[limb] & limbMask) + increment
                digits[limb] = total & limbMask
                increment = total >> limbBits
            }
        }
        var low: UInt128 = 0
        for limb in 0..<(limbCount - 1) { low |= UInt128(digits[limb]) << (limb * limbBits) }
        let high = Double(digits[limbCount - 1]) * 0x1p120
        let magnitude = (Double(low) + high) * 0x1p-40
        return negative ? -magnitude : magnitude
    }
}
