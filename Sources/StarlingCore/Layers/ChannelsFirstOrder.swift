/// Flattening: a channels-last map is already one row per example in (y, x, channel) order, so the
/// flatten layer moves nothing. Models that come from channels-first frameworks (ONNX, PyTorch)
/// flatten in (channel, y, x) order instead; this gives, for each channels-last position, the
/// channels-first position of the same value, so the dense layer after the flatten can have its
/// input columns permuted once at import and compute the same function.
public enum ChannelsFirstOrder {
    /// `permutation[i]` is the channels-first index of channels-last element `i` of one example.
    public static func permutation(for shape: FeatureMapShape) -> [Int] {
        var permutation = [Int](repeating: 0, count: shape.count)
        for y in 0..<shape.height {
            for x in 0..<shape.width {
                for channel in 0..<shape.channels {
                    permutation[(y * shape.width + x) * shape.channels + channel] =
                        (channel * shape.height + y) * shape.width + x
                }
            }
        }
        return permutation
    }
}
