/// ReLU, max(x, 0), and ReLU6, min(max(x, 0), 6) (MobileNet's, and ONNX's Clip(0, 6)), applied
/// element by element to any layer's output.
public enum ClippedRectifier: String, Sendable, Equatable, Codable, CaseIterable {
    case relu
    case relu6

    /// The largest output, if any.
    var ceiling: Float { self == .relu6 ? 6 : .infinity }

    /// The function of `values`, in `storage`'s memory when it can hold them.
    public func forward(_ values: [Float], reusing storage: consuming [Float] = []) -> [Float] {
        .written(count: values.count, from: values, reusing: consume storage) {
            forward($0, count: values.count, into: $1)
        }
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
    public func backward(outputGradient: [Float], output: [Float], reusing storage: consuming [Float] = []) -> [Float] {
        precondition(outputGradient.count == output.count, "gradient and output differ in size")
        return .written(count: output.count, from: outputGradient, reusing: consume storage) { upstream, gradient in
            output.withUnsafeBufferPointer { values in
                if let values = values.baseAddress {
                    backward(outputGradient: upstream, output: values, count: output.count, into: gradient)
                }
            }
        }
    }

    /// The pointer form of ``backward(outputGradient:output:)``; `gradient` may be `outputGradient`.
    public func backward(
        outputGradient upstream: UnsafePointer<Float>, output values: UnsafePointer<Float>, count: Int,
        into gradient: UnsafeMutablePointer<Float>
    ) {
        let ceiling = self.ceiling
        // Both values are loaded before the selects, so the loop has no branch and vectorises: with
        // a branch, the signs of the activations (half positive, at random) mispredict it.
        for index in 0..<count {
            let value = values[index]
            let passed = upstream[index]
            let below = value < ceiling ? passed : 0
            gradient[index] = value > 0 ? below : 0
        }
    }
}
