#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MLP {
    /// Softmax probabilities, `rows × outputSize`, row-major. `features` (rows × inputSize) must
    /// already be preprocessed.
    public func probabilities(features: [Float], rows: Int) -> [Float] {
        var output = forward(features: features, rows: rows).logits
        let width = architecture.outputSize
        output.withUnsafeMutableBufferPointer { z in
            for row in 0..<rows {
                Self.softmaxInPlace(z.slice(row * width, width))
            }
        }
        return output
    }

    /// Activations of one forward pass: `hidden[l]` is σ(Z_l) for each hidden layer, `logits` is Z_L.
    struct ForwardPass {
        var hidden: [[Float]]
        var logits: [Float]
    }

    /// Z_l = A_l · W_lᵀ + 1·b_lᵀ (sgemm), A_{l+1} = σ(Z_l) for hidden layers (σ = `hiddenActivation`),
    /// A_0 = features.
    func forward(features: [Float], rows: Int) -> ForwardPass {
        precondition(rows >= 0, "rows must be non-negative")
        precondition(
            features.count == rows * architecture.inputSize,
            "features.count \(features.count) != rows \(rows) × inputs \(architecture.inputSize)")
        var hidden: [[Float]] = []
        var logits: [Float] = []
        parameters.withUnsafeBufferPointer { params in
            for layer in architecture.layers {
                let input = layer.index == 0 ? features : hidden[layer.index - 1]
                var z = [Float](repeating: 0, count: rows * layer.outputs)
                input.withUnsafeBufferPointer { a in
                    z.withUnsafeMutableBufferPointer { out in
                        let bias = params.slice(layer.biasOffset, layer.outputs)
                        for row in 0..<rows {
                            _ = out.slice(row * layer.outputs, layer.outputs).update(fromContentsOf: bias)
                        }
                        BLAS.gemm(
                            .none, .transposed, m: rows, n: layer.outputs, k: layer.inputs,
                            a: a, b: params.slice(layer.weightOffset, layer.weightCount),
                            beta: 1, c: out)
                        if !layer.isOutput { hiddenActivation.apply(out) }
                    }
                }
                if layer.isOutput { logits = z } else { hidden.append(z) }
            }
        }
        return ForwardPass(hidden: hidden, logits: logits)
    }

    /// Numerically stable softmax of one row: p_j = exp(z_j − m) / Σ_k exp(z_k − m), m = max_k z_k.
    ///
    /// Finite for any logits, so finite weights and inputs always give finite probabilities even when
    /// a layer overflowed: a NaN logit (∞ − ∞ in a sum) gets 0, the +∞ logits share the whole mass
    /// equally, and a row without a logit above −∞ is uniform.
    static func softmaxInPlace(_ z: UnsafeMutableBufferPointer<Float>) {
        guard !z.isEmpty else { return }
        var maximum = -Float.infinity
        for value in z where value > maximum { maximum = value }
        guard maximum.isFinite else {
            let isShare: (Float) -> Bool = { maximum == .infinity ? $0 == .infinity : true }
            let share = 1 / Float(z.reduce(0) { isShare($1) ? $0 + 1 : $0 })
            for j in z.indices { z[j] = isShare(z[j]) ? share : 0 }
            return
        }
        var sum: Float = 0
        for j in z.indices {
            z[j] = z[j].isNaN ? 0 : exp(z[j] - maximum)
            sum += z[j]
        }
        let inverse = 1 / sum
        for j in z.indices { z[j] *= inverse }
    }
}
