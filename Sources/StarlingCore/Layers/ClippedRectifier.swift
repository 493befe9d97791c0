/// ReLU, max(x, 0), and ReLU6, min(max(x, 0), 6) (MobileNet's, and ONNX's Clip(0, 6)), applied
/// element by element to any layer's output.
public enum ClippedRectifier: String, Sendable, Equatable, Codable, CaseIterable {
    case relu
    case relu6

    /// The largest output, if any.
    var ceiling: Float { self == .relu6 ? 6 : .infinity }

    public func forward(_ values: [Float]) -> [Float] {
        .written(count: values.count, from: values) { forward($0, count: values.count, into: $1) }
    }

    /// The function on `count` values from `input` into `output` (which may be `input`).
    public func forward(_ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>) {
        let ceiling = self.ceiling
        // Written as comparisons so the loop vectorises; NaN passes through as Swift.max would.
        for index in 0..<count {
            let value = input[index] < 0 ? 0 : input[index]
            output[index] = value > ceiling ? ceiling : value
        }
    }

    /// The input's gradient from the forward pass's output: the output gradient where the output is
    /// strictly between 0 and the ceiling, zero where the input was clipped.
    public func backward(outputGradient: [Float], output: [Float]) -> [Float] {
        precondition(outputGradient.count == output.count, "gradient and output differ in size")
        let ceiling = self.ceiling
        return [Float](unsafeUninitializedCapacity: output.count) { gradient, initialized in
            outputGradient.withUnsafeBufferPointer { upstream in
                output.withUnsafeBufferPointer { values in
                    // Nested selects rather than `&&`, so the loop has no branch and vectorises.
                    for index in 0..<values.count {
                        let value = values[index]
                        gradient[index] = value > 0 ? (value < ceiling ? upstream[index] : 0) : 0
                    }
                }
            }
            initialized = output.count
        }
    }
}
