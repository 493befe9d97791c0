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
    /// `features` must already be standardised; `labels` are class indices in 0..<outputSize.
    public func lossAndGradient(features: [Float], labels: [Int], rows: Int) -> (loss: Float, gradient: [Float]) {
        checkBatch(labels: labels, rows: rows)
        guard rows > 0 else { return (0, [Float](repeating: 0, count: parameters.count)) }
        let pass = forward(features: features, rows: rows)
        var delta = pass.logits
        let loss = Self.crossEntropyAndOutputDelta(&delta, labels: labels, classes: architecture.outputSize, scale: 1 / Float(rows))
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
    public func clippedGradientSum(
        features: [Float], labels: [Int], rows: Int, clipNorm: Float
    ) -> (lossSum: Float, gradient: [Float], norms: [Float]) {
        checkBatch(labels: labels, rows: rows)
        precondition(clipNorm > 0, "clipNorm must be positive")
        guard rows > 0 else { return (0, [Float](repeating: 0, count: parameters.count), []) }
        let pass = forward(features: features, rows: rows)
        var delta = pass.logits
        let meanLoss = Self.crossEntropyAndOutputDelta(&delta, labels: labels, classes: architecture.outputSize, scale: 1)
        var deltas = layerDeltas(pass: pass, outputDelta: delta, rows: rows)
        var squaredNorms = [Float](repeating: 0, count: rows)
        for layer in architecture.layers {
            let input = layer.index == 0 ? features : pass.hidden[layer.index - 1]
            for row in 0..<rows {
                let activation = Self.squaredNorm(input, row * layer.inputs, layer.inputs)
                let error = Self.squaredNorm(deltas[layer.index], row * layer.outputs, layer.outputs)
                squaredNorms[row] += (activation + 1) * error
            }
        }
        let norms = squaredNorms.map { $0.squareRoot() }
        for layer in architecture.layers {
            deltas[layer.index].withUnsafeMutableBufferPointer { d in
                for row in 0..<rows where norms[row] > clipNorm {
                    let factor = clipNorm / norms[row]
                    for j in 0..<layer.outputs { d[row * layer.outputs + j] *= factor }
                }
            }
        }
        return (meanLoss * Float(rows), gradient(features: features, pass: pass, deltas: deltas, rows: rows), norms)
    }

    private func checkBatch(labels: [Int], rows: Int) {
        precondition(labels.count == rows, "labels.count \(labels.count) != rows \(rows)")
        let classes = architecture.outputSize
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "labels must be in 0..<\(classes)")
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
                            architecture.hiddenActivation.multiplyByDerivative(p, activations: a)
                        }
                    }
                }
                delta = previous
            }
        }
        return deltas
    }

    /// ∂/∂W_l = δ_lᵀ · A_l and ∂/∂b_l = Σ_rows δ_l for every layer, in the parameter layout.
    private func gradient(features: [Float], pass: ForwardPass, deltas: [[Float]], rows: Int) -> [Float] {
        var gradient = [Float](repeating: 0, count: parameters.count)
        gradient.withUnsafeMutableBufferPointer { grad in
            for layer in architecture.layers {
                let input = layer.index == 0 ? features : pass.hidden[layer.index - 1]
                input.withUnsafeBufferPointer { a in
                    deltas[layer.index].withUnsafeBufferPointer { d in
                        BLAS.gemm(
                            .transposed, .none, m: layer.outputs, n: layer.inputs, k: rows,
                            a: d, b: a, beta: 0, c: grad.slice(layer.weightOffset, layer.weightCount))
                        let biasGradient = grad.slice(layer.biasOffset, layer.outputs)
                        for row in 0..<rows {
                            let base = row * layer.outputs
                            for j in 0..<layer.outputs { biasGradient[j] += d[base + j] }
                        }
                    }
                }
            }
        }
        return gradient
    }

    private static func squaredNorm(_ values: [Float], _ offset: Int, _ count: Int) -> Float {
        var sum: Float = 0
        for index in offset..<(offset + count) { sum += values[index] * values[index] }
        return sum
    }

    /// Turns logits into δ_L = (softmax(z) − onehot(y)) · `scale` in place (1/n for the batch mean,
    /// 1 for per-example gradients) and returns the mean loss (1/n) Σ_i [logsumexp(z_i) − z_{i,y_i}],
    /// accumulated in Float64.
    static func crossEntropyAndOutputDelta(_ logits: inout [Float], labels: [Int], classes: Int, scale: Float) -> Float {
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
