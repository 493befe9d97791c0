#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MLP {
    /// Mean cross-entropy over the batch and its gradient with respect to `parameters` (same layout).
    ///
    /// Loss: L = (1/n) Σ_i [logsumexp(z_i) − z_{i,y_i}], with logsumexp(z) = m + log Σ_j exp(z_j − m).
    /// Backpropagation, with δ_L = (softmax(Z_L) − Y) / n:
    ///   ∂L/∂W_l = δ_lᵀ · A_l,   ∂L/∂b_l = Σ_rows δ_l,   δ_{l−1} = (δ_l · W_l) ⊙ σ'(Z_{l−1}),
    /// where σ' is written in terms of A_l = σ(Z_{l−1}) (see `HiddenActivation.multiplyByDerivative`).
    /// `features` must already be preprocessed; `labels` are class indices in 0..<outputSize.
    public func lossAndGradient(features: [Float], labels: [Int], rows: Int) -> (loss: Float, gradient: [Float]) {
        checkBatch(labels: labels, rows: rows)
        guard rows > 0 else { return (0, [Float](repeating: 0, count: parameters.count)) }
        let pass = forward(features: features, rows: rows)
        var delta = pass.logits
        let loss = Self.crossEntropyAndOutputDelta(
            &delta, labels: labels, classes: architecture.outputSize, scale: 1 / Float(rows))
        let deltas = layerDeltas(pass: pass, outputDelta: delta, rows: rows)
        return (loss, gradient(features: features, pass: pass, deltas: deltas, rows: rows))
    }

    /// The sum over the batch of each example's gradient clipped to L2 norm at most `clipNorm`
    /// (Abadi et al. 2016), the summed loss, and each example's gradient norm before clipping.
    ///
    /// Per-example gradients are never materialised: for a dense layer the gradient of example i is
    /// a_i δ_iᵀ (plus δ_i for the bias), whose squared norm is (‖a_i‖² + 1)·‖δ_i‖², so the norms
    /// come from the activations and deltas of one ordinary backward pass; the clipped sum is that
    /// pass's weight-gradient product with each example's delta row scaled by min(1, C/‖g_i‖).
    ///
    /// The gradient returned is `initial + scale · sum` (`initial` zero when nil), accumulated in
    /// place, so DP-SGD's noise and its division by the batch size cost no pass of their own.
    public func clippedGradientSum(
        features: [Float], labels: [Int], rows: Int, clipNorm: Float, scale: Float = 1,
        addingTo initial: consuming [Float]? = nil
    ) -> (lossSum: Float, gradient: [Float], norms: [Float]) {
        checkBatch(labels: labels, rows: rows)
        precondition(clipNorm > 0, "clipNorm must be positive")
        precondition(initial.map { $0.count == parameters.count } ?? true, "initial needs one value per parameter")
        guard rows > 0 else { return (0, initial ?? [Float](repeating: 0, count: parameters.count), []) }
        let pass = forward(features: features, rows: rows)
        var delta = pass.logits
        let meanLoss = Self.crossEntropyAndOutputDelta(
            &delta, labels: labels, classes: architecture.outputSize, scale: 1)
        var deltas = layerDeltas(pass: pass, outputDelta: delta, rows: rows)
        let layers = architecture.layers
        var squaredNorms = [Float](repeating: 0, count: rows)
        for layer in layers {
            let input = layer.index == 0 ? features : pass.hidden[layer.index - 1]
            input.withUnsafeBufferPointer { a in
                deltas[layer.index].withUnsafeBufferPointer { d in
                    for row in 0..<rows {
                        let activation = Self.squaredNorm(a.slice(row * layer.inputs, layer.inputs))
                        let error = Self.squaredNorm(d.slice(row * layer.outputs, layer.outputs))
                        squaredNorms[row] += (activation + 1) * error
                    }
                }
            }
        }
        let norms = squaredNorms.map { $0.squareRoot() }
        for layer in layers {
            deltas[layer.index].withUnsafeMutableBufferPointer { d in
                for row in 0..<rows where norms[row] > clipNorm {
                    let factor = clipNorm / norms[row]
                    for j in 0..<layer.outputs { d[row * layer.outputs + j] *= factor }
                }
            }
        }
        let sum = gradient(
            features: features, pass: pass, deltas: deltas, rows: rows, scale: scale, initial: consume initial)
        return (meanLoss * Float(rows), sum, norms)
    }

    /// δ_l for every layer (rows × outputs of layer l), from the output delta backwards:
    /// δ_{l−1} = (δ_l · W_l) ⊙ σ'(Z_{l−1}), σ' evaluated from A = σ(Z_{l−1}).
    private func layerDeltas(pass: ForwardPass, outputDelta: [Float], rows: Int) -> [[Float]] {
        var deltas = [[Float]](repeating: [], count: architecture.layers.count)
        var delta = outputDelta
        parameters.withUnsafeBufferPointer { params in
            for layer in architecture.layers.reversed() {
                deltas[layer.index] = delta
                guard layer.index > 0 else { continue }
                var previous = [Float](repeating: 0, count: rows * layer.inputs)
                delta.withUnsafeBufferPointer { d in
                    pass.hidden[layer.index - 1].withUnsafeBufferPointer { a in
                        previous.withUnsafeMutableBufferPointer { p in
                            BLAS.gemm(
                                .none, .none, m: rows, n: layer.inputs, k: layer.outputs,
                                a: d, b: params.slice(layer.weightOffset, layer.weightCount), beta: 0, c: p)
                            hiddenActivation.multiplyByDerivative(p, activations: a)
                        }
                    }
                }
                delta = previous
            }
        }
        return deltas
    }

    /// ∂/∂W_l = δ_lᵀ · A_l and ∂/∂b_l = Σ_rows δ_l for every layer, in the parameter layout, times
    /// `scale` and added to `initial` when given.
    private func gradient(
        features: [Float], pass: ForwardPass, deltas: [[Float]], rows: Int, scale: Float = 1,
        initial: consuming [Float]? = nil
    ) -> [Float] {
        let beta: Float = initial == nil ? 0 : 1
        var gradient = (consume initial) ?? [Float](repeating: 0, count: parameters.count)
        gradient.withUnsafeMutableBufferPointer { grad in
            for layer in architecture.layers {
                let input = layer.index == 0 ? features : pass.hidden[layer.index - 1]
                input.withUnsafeBufferPointer { a in
                    deltas[layer.index].withUnsafeBufferPointer { d in
                        BLAS.gemm(
                            .transposed, .none, m: layer.outputs, n: layer.inputs, k: rows, alpha: scale,
                            a: d, b: a, beta: beta, c: grad.slice(layer.weightOffset, layer.weightCount))
                        let biasGradient = grad.slice(layer.biasOffset, layer.outputs)
                        for row in 0..<rows {
                            let base = row * layer.outputs
                            for j in 0..<layer.outputs { biasGradient[j] += scale * d[base + j] }
                        }
                    }
                }
            }
        }
        return gradient
    }

    /// Σ v², sixteen lanes at a time (independent partial sums keep the adders busy), then the rest.
    private static func squaredNorm(_ values: UnsafeBufferPointer<Float>) -> Float {
        guard let base = values.baseAddress else { return 0 }
        var lanes = SIMD16<Float>()
        var index = 0
        while index + 16 <= values.count {
            let chunk = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<Float>.self)
            lanes += chunk * chunk
            index += 16
        }
        var sum = lanes.sum()
        while index < values.count {
            sum += values[index] * values[index]
            index += 1
        }
        return sum
    }

    /// Turns logits into δ_L = (softmax(z) − onehot(y)) · `scale` in place (1/n for the batch mean,
    /// 1 for per-example gradients) and returns the mean loss (1/n) Σ_i [logsumexp(z_i) − z_{i,y_i}],
    /// accumulated in Float64.
    static func crossEntropyAndOutputDelta(_ logits: inout [Float], labels: [Int], classes: Int, scale: Float) -> Float
    {
        let rows = labels.count
        var totalLoss: Double = 0
        logits.withUnsafeMutableBufferPointer { z in
            for row in 0..<rows {
                let base = row * classes
                var maximum = -Float.infinity
                for j in 0..<classes { maximum = max(maximum, z[base + j]) }
                var sum: Float = 0
                for j in 0..<classes { sum += exp(z[base + j] - maximum) }
                let logSumExp = maximum + log(sum)
                let label = labels[row]
                totalLoss += Double(logSumExp - z[base + label])
                for j in 0..<classes {
                    let probability = exp(z[base + j] - logSumExp)
                    z[base + j] = (probability - (j == label ? 1 : 0)) * scale
                }
            }
        }
        return Float(totalLoss / Double(rows))
    }
}
