/// ReLU, max(x, 0), and ReLU6, min(max(x, 0), 6) (MobileNet's, and ONNX's Clip(0, 6)), applied
/// element by element to any layer's output.
public enum ClippedRectifier: String, Sendable, Equatable, Codable, CaseIterable {
    case relu
    case relu6

    /// The largest output, if any.
    var ceiling: Float { self == .relu6 ? 6 : .infinity }

    public func forward(_ values: [Float]) -> [Float] {
        values.map { Swift.min(Swift.max($0, 0), ceiling) }
    }

    /// The input's gradient from the forward pass's output: the output gradient where the output is
    /// strictly between 0 and the ceiling, zero where the input was clipped.
    public func backward(outputGradient: [Float], output: [Float]) -> [Float] {
        precondition(outputGradient.count == output.count, "gradient and output differ in size")
        return zip(outputGradient, output).map { delta, value in value > 0 && value < ceiling ? delta : 0 }
    }
}
