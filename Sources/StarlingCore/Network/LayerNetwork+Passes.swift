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
}
