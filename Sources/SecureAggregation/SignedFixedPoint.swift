/// Real values as two's-complement integers modulo 2^32, for sums that carry integer noise.
///
/// ``FixedPointCodec`` maps each value onto an unsigned range that a whole cohort's sum cannot
/// overflow, which leaves no room for noise added after encoding. Here a value becomes
/// round(value × scale) as a signed integer; devices may add integer noise before wrapping it
/// into Z/2^32, and the sum decodes as a signed 32-bit number divided by the scale, correct as long
/// as the true integer sum stays within ±2^31. ``scale(summands:bound:noiseStandardDeviation:)``
/// picks the scale so it does with ten standard deviations of noise to spare. Rounding is
/// stochastic (unbiased), so each coordinate moves by less than one integer unit and a vector's
/// L2 norm by less than √d units.
public struct SignedFixedPoint: Sendable, Equatable {
    /// Integer units per unit of value.
    public let scale: Double

    public init(scale: Double) {
        precondition(scale > 0 && scale.isFinite, "a fixed-point scale is positive and finite")
        self.scale = scale
    }

    /// The largest scale, halved for safety, at which `summands` contributions, each coordinate at
    /// most `bound` in magnitude, plus noise whose total standard deviation is
    /// `noiseStandardDeviation(scale)` integer units, stay within ±2^31 with ten standard deviations
    /// to spare. Noise is taken to grow linearly with the scale (it is sized against the scaled
    /// sensitivity), as `noisePerUnitScale · scale + noiseFloor`.
    public static func scale(
        summands: Int, bound: Double, noisePerUnitScale: Double = 0, noiseFloor: Double = 0
    ) -> Double {
        let limit = 0x1p31 - 1
        let perUnit = Double(summands) * bound + 10 * noisePerUnitScale
        let fixed = Double(summands) + 10 * noiseFloor
        return max(1, (limit - fixed) / perUnit / 2)
    }

    /// round(value × scale), rounding up with probability equal to the fractional part.
    public func round(_ values: [Float], using rng: inout some RandomNumberGenerator) -> [Int64] {
        values.map { value in
            let scaled = value.isFinite ? Double(value) * scale : 0
            let floor = scaled.rounded(.down)
            let roundUp = Double(rng.next() >> 11) * 0x1p-53 < scaled - floor
            return Int64(floor) + (roundUp ? 1 : 0)
        }
    }

    /// Integers as ring elements of Z/2^32.
    public static func wrap(_ values: [Int64]) -> [UInt32] {
        values.map { UInt32(truncatingIfNeeded: $0) }
    }

    /// The real sum behind a ring sum of encodings.
    public func decodeSum(_ sum: [UInt32]) -> [Double] {
        sum.map { Double(Int32(bitPattern: $0)) / scale }
    }
}
