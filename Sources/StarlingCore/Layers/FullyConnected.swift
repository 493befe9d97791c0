/// A dense layer inside a layer network: Z = A·Wᵀ + b over a batch of flat rows, with weights
/// [outputs, inputs] row-major as in ``MLP`` and PyTorch's `Linear`.
public struct FullyConnected: Sendable, Equatable {
    public let name: String
    public let inputs: Int
    public let outputs: Int

    public init(name: String, inputs: Int, outputs: Int) throws(LayerShapeError) {
        let bound = FeatureMapShape.maximumSide
        guard (1...bound).contains(outputs) else {
            throw LayerShapeError(layer: name, reason: "it has \(outputs) units; it must have between 1 and \(bound)")
        }
        let (weights, overflow) = inputs.multipliedReportingOverflow(by: outputs)
        guard inputs >= 1, !overflow, weights <= FeatureMapShape.maximumElementCount else {
            throw LayerShapeError(
                layer: name,
                reason: "its \(inputs) inputs × \(outputs) units exceed \(FeatureMapShape.maximumElementCount) weights")
        }
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
    }

    public var weightCount: Int { inputs * outputs }
    public var biasCount: Int { outputs }

    /// The layer's output for `batch` examples, in `storage`'s memory when it can hold it.
    public func forward(
        _ values: [Float], batch: Int, weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
        reusing storage: consuming [Float] = []
    ) -> [Float] {
        precondition(
            values.count == batch * inputs, "\(name): input holds \(values.count) values, not \(batch) × \(inputs)")
        var result = [Float].reusing(consume storage, count: batch * outputs)
        result.withUnsafeMutableBufferPointer { out in
            for row in 0..<batch { _ = out.slice(row * outputs, outputs).update(fromContentsOf: bias) }
            values.withUnsafeBufferPointer { a in
                BLAS.gemm(.none, .transposed, m: batch, n: outputs, k: inputs, a: a, b: weights, beta: 1, c: out)
            }
        }
        return result
    }

    /// Adds the weights' and biases' gradients and returns the input's when asked for it.
    public func backward(
        outputGradient: [Float], input values: [Float], batch: Int, weights: UnsafeBufferPointer<Float>,
        weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>,
        inputGradient wanted: Bool
    ) -> [Float]? {
        addParameterGradients(
            outputGradient: outputGradient, input: values, batch: batch, weightGradient: weightGradient,
            biasGradient: biasGradient)
        return wanted ? inputGradient(outputGradient: outputGradient, batch: batch, weights: weights) : nil
    }

    /// Adds dW = δᵀ·A and db = Σ δ.
    func addParameterGradients(
        outputGradient: [Float], input values: [Float], batch: Int, weightGradient: UnsafeMutableBufferPointer<Float>,
        biasGradient: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(outputGradient.count == batch * outputs, "\(name): output gradient has the wrong size")
        outputGradient.withUnsafeBufferPointer { delta in
            values.withUnsafeBufferPointer { a in
                BLAS.gemm(
                    .transposed, .none, m: outputs, n: inputs, k: batch, a: delta, b: a, beta: 1, c: weightGradient)
            }
            for row in 0..<batch {
                for unit in 0..<outputs { biasGradient[unit] += delta[row * outputs + unit] }
            }
        }
    }

    /// The input's gradient δ·W.
    func inputGradient(
        outputGradient: [Float], batch: Int, weights: UnsafeBufferPointer<Float>,
        reusing storage: consuming [Float] = []
    ) -> [Float] {
        var gradient = [Float].reusing(consume storage, count: batch * inputs)
        outputGradient.withUnsafeBufferPointer { delta in
            gradient.withUnsafeMutableBufferPointer { out in
                BLAS.gemm(.none, .none, m: batch, n: inputs, k: outputs, a: delta, b: weights, beta: 0, c: out)
            }
        }
        return gradient
    }
}
