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
        precondition(labels.count == rows, "labels.count \(labels.count) != rows \(rows)")
        let classes = architecture.outputSize
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "labels must be in 0..<\(classes)")
        var gradient = [Float](repeating: 0, count: parameters.count)
        guard rows > 0 else { return (0, gradient) }

        let pass = forward(features: features, rows: rows)
        var delta = pass.logits
        let loss = Self.crossEntropyAndOutputDelta(&delta, labels: labels, classes: classes)

        parameters.withUnsafeBufferPointer { params in
            gradient.withUnsafeMutableBufferPointer { grad in
                for layer in architecture.layers.reversed() {
                    let input = layer.index == 0 ? features : pass.hidden[layer.index - 1]
                    input.withUnsafeBufferPointer { a in
                        delta.withUnsafeBufferPointer { d in
                            // ∂L/∂W_l = δᵀ · A  ([out × rows] · [rows × in])
                            BLAS.gemm(
                                .transposed, .none, m: layer.outputs, n: layer.inputs, k: rows,
                                a: d, b: a, beta: 0, c: grad.slice(layer.weightOffset, layer.weightCount))
                            // ∂L/∂b_l = column sums of δ
                            let biasGradient = grad.slice(layer.biasOffset, layer.outputs)
                            for row in 0..<rows {
                                let base = row * layer.outputs
                                for j in 0..<layer.outputs { biasGradient[j] += d[base + j] }
                            }
                        }
                    }
                    guard layer.index > 0 else { continue }
                    // δ_{l−1} = (δ · W) ⊙ σ'(Z_{l−1}), σ' evaluated from A = σ(Z_{l−1}).
                    var previous = [Float](repeating: 0, count: rows * layer.inputs)
                    delta.withUnsafeBufferPointer { d in
                        input.withUnsafeBufferPointer { a in
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
        }
        return (loss, gradient)
    }

    /// Turns logits into δ_L = (softmax(z) − onehot(y)) / n in place and returns the mean loss
    /// (1/n) Σ_i [logsumexp(z_i) − z_{i,y_i}], accumulated in Float64.
    static func crossEntropyAndOutputDelta(_ logits: inout [Float], labels: [Int], classes: Int) -> Float {
        let rows = labels.count
        let scale = 1 / Float(rows)
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
