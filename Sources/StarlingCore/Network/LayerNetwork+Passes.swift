extension LayerNetwork {
    /// What one layer's forward pass keeps for its backward pass.
    enum LayerState: Sendable {
        case none
        case convolution(Convolution.Activations)
        case normalization(GroupNormalization.Activations)
        case maximumIndices([Int])
    }

    /// Every layer's input (`inputs[i]` feeds layer i), its state, and the logits.
    struct ForwardPass: Sendable {
        var inputs: [[Float]]
        var states: [LayerState]
        var logits: [Float]
    }

    /// The forward pass over `rows` examples of `layout.inputSize` channels-last values each.
    func forward(features: [Float], rows: Int) -> ForwardPass {
        precondition(
            features.count == rows * layout.inputSize,
            "features.count \(features.count) != rows \(rows) × \(layout.inputSize)")
        var pass = ForwardPass(inputs: [], states: [], logits: [])
        var values = features
        parameters.withUnsafeBufferPointer { all in
            for placed in layout.layers {
                pass.inputs.append(values)
                let weights = all.slice(placed.weightRange.lowerBound, placed.weightRange.count)
                let biases = all.slice(placed.biasRange.lowerBound, placed.biasRange.count)
                switch placed.layer {
                case .dense(let layer):
                    values = layer.forward(values, batch: rows, weights: weights, bias: biases)
                    pass.states.append(.none)
                case .convolution(let layer):
                    let activations = layer.forward(values, batch: rows, weights: weights, bias: biases)
                    values = activations.output
                    pass.states.append(.convolution(activations))
                case .depthwise(let layer):
                    values = layer.forward(values, batch: rows, weights: weights, bias: biases)
                    pass.states.append(.none)
                case .maxPooling(let layer):
                    let (output, indices) = layer.forward(values, batch: rows)
                    values = output
                    pass.states.append(.maximumIndices(indices))
                case .averagePooling(let layer):
                    values = layer.forward(values, batch: rows)
                    pass.states.append(.none)
                case .globalAveragePooling(let layer):
                    values = layer.forward(values, batch: rows)
                    pass.states.append(.none)
                case .groupNormalization(let layer):
                    let activations = layer.forward(values, batch: rows, gamma: weights, beta: biases)
                    values = activations.output
                    pass.states.append(.normalization(activations))
                case .rectifier(let function):
                    values = function.forward(values)
                    pass.states.append(.none)
                case .flatten:
                    pass.states.append(.none)
                }
            }
        }
        pass.logits = values
        return pass
    }

    /// Softmax probabilities, `rows × classes`.
    public func probabilities(features: [Float], rows: Int) -> [Float] {
        var output = forward(features: features, rows: rows).logits
        output.withUnsafeMutableBufferPointer { z in
            for row in 0..<rows { MLP.softmaxInPlace(z.slice(row * layout.classes, layout.classes)) }
        }
        return output
    }

    /// Mean cross-entropy over the batch and its gradient with respect to `parameters`: the output
    /// delta (softmax − one-hot)/n, then each layer's backward pass from the last to the first.
    public func lossAndGradient(features: [Float], labels: [Int], rows: Int) -> (loss: Float, gradient: [Float]) {
        precondition(labels.count == rows, "labels.count \(labels.count) != rows \(rows)")
        precondition(labels.allSatisfy { (0..<layout.classes).contains($0) }, "labels must be in 0..<\(layout.classes)")
        var gradient = [Float](repeating: 0, count: parameters.count)
        guard rows > 0 else { return (0, gradient) }
        let pass = forward(features: features, rows: rows)
        var delta = pass.logits
        let loss = MLP.crossEntropyAndOutputDelta(
            &delta, labels: labels, classes: layout.classes, scale: 1 / Float(rows))
        parameters.withUnsafeBufferPointer { all in
            gradient.withUnsafeMutableBufferPointer { gradient in
                for placed in layout.layers.reversed() {
                    let wantsInput = placed.index > 0
                    let weights = all.slice(placed.weightRange.lowerBound, placed.weightRange.count)
                    let weightGradient = gradient.slice(placed.weightRange.lowerBound, placed.weightRange.count)
                    let biasGradient = gradient.slice(placed.biasRange.lowerBound, placed.biasRange.count)
                    let input = pass.inputs[placed.index]
                    let output = placed.index + 1 < pass.inputs.count ? pass.inputs[placed.index + 1] : pass.logits
                    switch (placed.layer, pass.states[placed.index]) {
                    case (.dense(let layer), _):
                        delta =
                            layer.backward(
                                outputGradient: delta, input: input, batch: rows, weights: weights,
                                weightGradient: weightGradient,
                                biasGradient: biasGradient, inputGradient: wantsInput) ?? []
                    case (.convolution(let layer), .convolution(let activations)):
                        delta =
                            layer.backward(
                                outputGradient: delta, activations: activations, batch: rows, weights: weights,
                                weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: wantsInput)
                            ?? []
                    case (.depthwise(let layer), _):
                        delta =
                            layer.backward(
                                outputGradient: delta, input: input, batch: rows, weights: weights,
                                weightGradient: weightGradient,
                                biasGradient: biasGradient, inputGradient: wantsInput) ?? []
                    case (.maxPooling(let layer), .maximumIndices(let indices)):
                        delta = layer.backward(outputGradient: delta, maximumIndices: indices, batch: rows)
                    case (.averagePooling(let layer), _):
                        delta = layer.backward(outputGradient: delta, batch: rows)
                    case (.globalAveragePooling(let layer), _):
                        delta = layer.backward(outputGradient: delta, batch: rows)
                    case (.groupNormalization(let layer), .normalization(let activations)):
                        delta = layer.backward(
                            outputGradient: delta, activations: activations, batch: rows, gamma: weights,
                            gammaGradient: weightGradient, betaGradient: biasGradient)
                    case (.rectifier(let function), _):
                        delta = function.backward(outputGradient: delta, output: output)
                    case (.flatten, _):
                        break
                    case (.convolution, _), (.maxPooling, _), (.groupNormalization, _):
                        preconditionFailure("\(placed.layer) lost the state of its forward pass")
                    }
                }
            }
        }
        return (loss, gradient)
    }
}
