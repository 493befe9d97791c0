extension LayerNetwork {
    /// Mean cross-entropy over the batch and its gradient with respect to `parameters`: the output
    /// delta (softmax − one-hot)/n carried down through every layer, then each parameter layer's
    /// gradient from its input and the delta of its output.
    public func lossAndGradient(
        features: [Float], labels: [Int], rows: Int, workspace: TrainingWorkspace = TrainingWorkspace()
    ) -> (loss: Float, gradient: [Float]) {
        checkBatch(labels: labels, rows: rows)
        var gradient = [Float](repeating: 0, count: parameters.count)
        guard rows > 0 else { return (0, gradient) }
        let pass = forward(features: features, rows: rows, reusing: workspace.pass.take() ?? .empty)
        var deltas = workspace.deltas.moveOut()
        let loss = outputDelta(pass: pass, labels: labels, scale: 1 / Float(rows), deltas: &deltas)
        outputDeltas(pass: pass, rows: rows, deltas: &deltas, columnScratch: &workspace.columnScratch)
        addParameterGradients(pass: pass, deltas: deltas, rows: rows, into: &gradient)
        workspace.keep(pass: pass, deltas: deltas, layout: layout)
        return (loss, gradient)
    }

    /// The logits' delta (softmax − one-hot)·`scale` as the last layer's entry of `deltas` (a
    /// workspace's, or empty), and the mean cross-entropy.
    func outputDelta(pass: ForwardPass, labels: [Int], scale: Float, deltas: inout [[Float]]) -> Float {
        let last = layout.layers.count - 1
        if deltas.count != layout.layers.count { deltas = [[Float]](repeating: [], count: layout.layers.count) }
        var delta = [Float].written(count: pass.logits.count, from: pass.logits, reusing: deltas[last].moveOut()) {
            $1.update(from: $0, count: pass.logits.count)
        }
        let loss = MLP.crossEntropyAndOutputDelta(&delta, labels: labels, classes: layout.classes, scale: scale)
        deltas[last] = delta
        return loss
    }

    /// The gradient of the loss with respect to every layer's output (`deltas[i]` for layer i), from
    /// the logits' delta (the last entry) down, each written into the buffer `deltas` held for it;
    /// the first layer's input gradient is never needed.
    func outputDeltas(pass: ForwardPass, rows: Int, deltas: inout [[Float]], columnScratch: inout [Float]) {
        parameters.withUnsafeBufferPointer { all in
            for placed in layout.layers.reversed() {
                guard placed.index > 0 else { break }
                let delta = deltas[placed.index]
                let storage = deltas[placed.index - 1].moveOut()
                let weights = all.slice(placed.weightRange.lowerBound, placed.weightRange.count)
                switch (placed.layer, pass.states[placed.index]) {
                case (.dense(let layer), _):
                    deltas[placed.index - 1] = layer.inputGradient(
                        outputGradient: delta, batch: rows, weights: weights, reusing: consume storage)
                case (.convolution(let layer), _):
                    deltas[placed.index - 1] = layer.inputGradient(
                        outputGradient: delta, batch: rows, weights: weights, columnScratch: &columnScratch,
                        reusing: consume storage)
                case (.depthwise(let layer), _):
                    deltas[placed.index - 1] = layer.inputGradient(
                        outputGradient: delta, batch: rows, weights: weights, reusing: consume storage)
                case (.maxPooling(let layer), .maximumIndices(let indices)):
                    deltas[placed.index - 1] = layer.backward(
                        outputGradient: delta, maximumIndices: indices, batch: rows, reusing: consume storage)
                case (.averagePooling(let layer), _):
                    deltas[placed.index - 1] = layer.backward(
                        outputGradient: delta, batch: rows, reusing: consume storage)
                case (.globalAveragePooling(let layer), _):
                    deltas[placed.index - 1] = layer.backward(
                        outputGradient: delta, batch: rows, reusing: consume storage)
                case (.groupNormalization(let layer), .normalization(let activations)):
                    deltas[placed.index - 1] = layer.inputGradient(
                        outputGradient: delta, activations: activations, batch: rows, gamma: weights,
                        reusing: consume storage)
                case (.rectifier(let function), _):
                    deltas[placed.index - 1] = function.backward(
                        outputGradient: delta, output: pass.inputs[placed.index + 1], reusing: consume storage)
                case (.flatten, _):
                    deltas[placed.index - 1] = delta
                case (.maxPooling, _), (.groupNormalization, _):
                    preconditionFailure("\(placed.layer) lost the state of its forward pass")
                }
            }
        }
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

extension TrainingWorkspace {
    /// Keeps a layer network's step for the next step to write again, each buffer held once: the
    /// pass's aliases released, and a flatten layer's input delta (its output delta) dropped.
    func keep(pass: LayerNetwork.ForwardPass, deltas: [[Float]], layout: NetworkLayout) {
        self.pass = pass.releasingAliases(layout: layout)
        var deltas = deltas
        for placed in layout.layers where placed.index > 0 {
            if case .flatten = placed.layer { deltas[placed.index - 1] = [] }
        }
        self.deltas = deltas
    }
}
