extension LayerNetwork {
    /// Mean cross-entropy over the batch and its gradient with respect to `parameters`: the output
    /// delta (softmax − one-hot)/n carried down through every layer, then each parameter layer's
    /// gradient from its input and the delta of its output.
    public func lossAndGradient(features: [Float], labels: [Int], rows: Int) -> (loss: Float, gradient: [Float]) {
        checkBatch(labels: labels, rows: rows)
        var gradient = [Float](repeating: 0, count: parameters.count)
        guard rows > 0 else { return (0, gradient) }
        let pass = forward(features: features, rows: rows)
        var delta = pass.logits
        let loss = MLP.crossEntropyAndOutputDelta(
            &delta, labels: labels, classes: layout.classes, scale: 1 / Float(rows))
        let deltas = outputDeltas(pass: pass, outputDelta: delta, rows: rows)
        addParameterGradients(pass: pass, deltas: deltas, rows: rows, into: &gradient)
        return (loss, gradient)
    }

    /// The gradient of the loss with respect to every layer's output (`deltas[i]` for layer i), from
    /// the logits' delta down; the first layer's input gradient is never needed.
    func outputDeltas(pass: ForwardPass, outputDelta: [Float], rows: Int) -> [[Float]] {
        var deltas = [[Float]](repeating: [], count: layout.layers.count)
        var delta = outputDelta
        parameters.withUnsafeBufferPointer { all in
            for placed in layout.layers.reversed() {
                deltas[placed.index] = delta
                guard placed.index > 0 else { break }
                let weights = all.slice(placed.weightRange.lowerBound, placed.weightRange.count)
                switch (placed.layer, pass.states[placed.index]) {
                case (.dense(let layer), _):
                    delta = layer.inputGradient(outputGradient: delta, batch: rows, weights: weights)
                case (.convolution(let layer), _):
                    delta = layer.inputGradient(outputGradient: delta, batch: rows, weights: weights)
                case (.depthwise(let layer), _):
                    delta = layer.inputGradient(outputGradient: delta, batch: rows, weights: weights)
                case (.maxPooling(let layer), .maximumIndices(let indices)):
                    delta = layer.backward(outputGradient: delta, maximumIndices: indices, batch: rows)
                case (.averagePooling(let layer), _):
                    delta = layer.backward(outputGradient: delta, batch: rows)
                case (.globalAveragePooling(let layer), _):
                    delta = layer.backward(outputGradient: delta, batch: rows)
                case (.groupNormalization(let layer), .normalization(let activations)):
                    delta = layer.inputGradient(
                        outputGradient: delta, activations: activations, batch: rows, gamma: weights)
                case (.rectifier(let function), _):
                    delta = function.backward(outputGradient: delta, output: pass.inputs[placed.index + 1])
                case (.flatten, _):
                    break
                case (.maxPooling, _), (.groupNormalization, _):
                    preconditionFailure("\(placed.layer) lost the state of its forward pass")
                }
            }
        }
        return deltas
    }

    /// Adds every parameter layer's weight and bias gradients for `deltas` into `gradient`.
    func addParameterGradients(pass: ForwardPass, deltas: [[Float]], rows: Int, into gradient: inout [Float]) {
        gradient.withUnsafeMutableBufferPointer { gradient in
            for placed in layout.layers where !placed.weightRange.isEmpty {
                let weightGradient = gradient.slice(placed.weightRange.lowerBound, placed.weightRange.count)
                let biasGradient = gradient.slice(placed.biasRange.lowerBound, placed.biasRange.count)
                let delta = deltas[placed.index]
                let input = pass.inputs[placed.index]
                switch (placed.layer, pass.states[placed.index]) {
                case (.dense(let layer), _):
                    layer.addParameterGradients(
                        outputGradient: delta, input: input, batch: rows, weightGradient: weightGradient,
                        biasGradient: biasGradient)
                case (.convolution(let layer), .convolution(let activations)):
                    layer.addParameterGradients(
                        outputGradient: delta, activations: activations, batch: rows, weightGradient: weightGradient,
                        biasGradient: biasGradient)
                case (.depthwise(let layer), _):
                    layer.addParameterGradients(
                        outputGradient: delta, input: input, batch: rows, weightGradient: weightGradient,
                        biasGradient: biasGradient)
                case (.groupNormalization(let layer), .normalization(let activations)):
                    layer.addParameterGradients(
                        outputGradient: delta, activations: activations, batch: rows, gammaGradient: weightGradient,
                        betaGradient: biasGradient)
                default:
                    preconditionFailure("\(placed.layer) has parameters but no gradient")
                }
            }
        }
    }
}
