/// Each example's squared gradient norm (weights and biases together) for DP-SGD's per-example
/// clipping, from the batch's one forward pass and the deltas of one backward pass: no example is
/// run through the network on its own.

extension FullyConnected {
    /// ‖δ_i a_iᵀ‖² + ‖δ_i‖² = (‖a_i‖² + 1)·‖δ_i‖² for each example i.
    func addPerExampleSquaredNorms(
        outputGradient: [Float], input values: [Float], batch: Int, into norms: inout [Float]
    ) {
        for example in 0..<batch {
            let activation = values[(example * inputs)..<((example + 1) * inputs)].reduce(0) { $0 + $1 * $1 }
            let delta = outputGradient[(example * outputs)..<((example + 1) * outputs)].reduce(0) { $0 + $1 * $1 }
            norms[example] += (activation + 1) * delta
        }
    }
}

extension Convolution {
    /// Mixed ghost clipping (Bu et al., 2022): example i's weight gradient is δ_iᵀ U_i over its P
    /// output positions (δ_i P × filters, U_i its P unfolded windows). Its squared norm is either
    /// summed from that product (P·patch·filters multiply-adds) or, when P is small against the
    /// layer's width, read from the two P × P Gram matrices as Σ (U_i U_iᵀ) ∘ (δ_i δ_iᵀ)
    /// (P²·(patch + filters)), whichever costs less. The bias adds ‖Σ_p δ_i‖².
    func addPerExampleSquaredNorms(
        outputGradient: [Float], activations: Activations, batch: Int, into norms: inout [Float]
    ) {
        let positions = output.height * output.width
        let filters = output.channels
        let useGram = positions * (patchSize + filters) < patchSize * filters
        var scratch = [Float](repeating: 0, count: useGram ? 2 * positions * positions : filters * patchSize)
        outputGradient.withUnsafeBufferPointer { delta in
            activations.columns.withUnsafeBufferPointer { columns in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    for example in 0..<batch {
                        let exampleDelta = delta.slice(example * positions * filters, positions * filters)
                        let exampleColumns = columns.slice(example * positions * patchSize, positions * patchSize)
                        var sum: Float = 0
                        if useGram {
                            let windows = scratch.slice(0, positions * positions)
                            let deltas = scratch.slice(positions * positions, positions * positions)
                            BLAS.gemm(
                                .none, .transposed, m: positions, n: positions, k: patchSize, a: exampleColumns,
                                b: exampleColumns, beta: 0, c: windows)
                            BLAS.gemm(
                                .none, .transposed, m: positions, n: positions, k: filters, a: exampleDelta,
                                b: exampleDelta,
                                beta: 0, c: deltas)
                            for index in 0..<(positions * positions) { sum += windows[index] * deltas[index] }
                        } else {
                            BLAS.gemm(
                                .transposed, .none, m: filters, n: patchSize, k: positions, a: exampleDelta,
                                b: exampleColumns,
                                beta: 0, c: scratch)
                            for value in scratch { sum += value * value }
                        }
                        for filter in 0..<filters {
                            var bias: Float = 0
                            for position in 0..<positions { bias += exampleDelta[position * filters + filter] }
                            sum += bias * bias
                        }
                        norms[example] += sum
                    }
                }
            }
        }
    }
}

extension DepthwiseConvolution {
    /// Example i's weight and bias gradients, accumulated from its own positions alone.
    func addPerExampleSquaredNorms(
        outputGradient: [Float], input values: [Float], batch: Int, into norms: inout [Float]
    ) {
        var weights = [Float](repeating: 0, count: weightCount)
        var biases = [Float](repeating: 0, count: biasCount)
        for example in 0..<batch {
            for index in weights.indices { weights[index] = 0 }
            for index in biases.indices { biases[index] = 0 }
            weights.withUnsafeMutableBufferPointer { weights in
                biases.withUnsafeMutableBufferPointer { biases in
                    addParameterGradients(
                        outputGradient: Array(
                            outputGradient[(example * output.count)..<((example + 1) * output.count)]),
                        input: Array(values[(example * input.count)..<((example + 1) * input.count)]), batch: 1,
                        weightGradient: weights, biasGradient: biases)
                }
            }
            norms[example] += weights.reduce(0) { $0 + $1 * $1 } + biases.reduce(0) { $0 + $1 * $1 }
        }
    }
}

extension GroupNormalization {
    /// Example i's gamma and beta gradients: group normalisation never mixes examples, so each
    /// example's gradient is its own (batch normalisation's would not be).
    func addPerExampleSquaredNorms(
        outputGradient: [Float], activations: Activations, batch: Int, into norms: inout [Float]
    ) {
        let channels = shape.channels
        let positions = shape.height * shape.width
        for example in 0..<batch {
            var gamma = [Float](repeating: 0, count: channels)
            var beta = [Float](repeating: 0, count: channels)
            for position in 0..<positions {
                let base = (example * positions + position) * channels
                for channel in 0..<channels {
                    gamma[channel] += outputGradient[base + channel] * activations.normalized[base + channel]
                    beta[channel] += outputGradient[base + channel]
                }
            }
            norms[example] += gamma.reduce(0) { $0 + $1 * $1 } + beta.reduce(0) { $0 + $1 * $1 }
        }
    }
}
