/// Bounds what one party can contribute: a vector scaled down, if need be, to a given L2 norm.
/// User-level privacy clips each device's whole model delta this way before it is summed, so the
/// sum's sensitivity to one device is the clipping norm.
public enum UpdateClipping {
    /// `values` scaled by min(1, C/‖values‖), with a margin of one part in a million so that rounding
    /// to Float never leaves the result above C.
    public static func clip(_ values: [Float], toNorm clipNorm: Double) -> [Float] {
        precondition(clipNorm > 0 && clipNorm.isFinite, "a clipping norm is positive and finite")
        let norm = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard norm > clipNorm || !norm.isFinite else { return values }
        guard norm.isFinite else { return [Float](repeating: 0, count: values.count) }
        let factor = clipNorm / norm * (1 - 1e-6)
        return values.map { Float(Double($0) * factor) }
    }
}
