/// The largest magnitude in a vector of a model's size, in one pass the compiler vectorises: every
/// update is checked for values that are not finite before it is trained on, masked or summed, and
/// `allSatisfy(\.isFinite)` took a branch per value (100,000 of them per device and round).
public enum LargestMagnitude {
    /// The largest |value| of `values`: infinity when one is infinite, NaN when one is NaN, 0 when
    /// empty. Compares IEEE 754 bit patterns with the sign cleared, which order finite magnitudes,
    /// then infinity, then NaNs.
    @inlinable
    public static func of(_ values: [Float]) -> Float {
        values.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt32.self) { bits in
                var largest: UInt32 = 0
                for word in bits { largest = Swift.max(largest, word & 0x7FFF_FFFF) }
                return Float(bitPattern: largest)
            }
        }
    }

    /// Whether every value of `values` is finite.
    @inlinable
    public static func allFinite(_ values: [Float]) -> Bool { of(values).isFinite }
}
