extension LayerNetwork {
    /// What one layer's forward pass keeps for its backward pass.
    enum LayerState: Sendable {
        case none
        case convolution(Convolution.Activations)
        case normalization(GroupNormalization.Activations)
        case maximumIndices([Int])
    }

    /// Every layer's input (`inputs[i]` feeds layer i), its state, and the logits.
    ///
    /// Some of these share storage: the features are `inputs[0]`, a flatten layer's output is its
    /// input, a convolution's or normalisation's output is also in its state, and a 1×1
    /// convolution's unfolded input is its input. The logits are the last (dense) layer's output. A
    /// pass kept in a
    /// ``TrainingWorkspace`` drops those second references (``releasingAliases()``), so each buffer
    /// the next pass writes is held once and is written in place.
    struct ForwardPass: Sendable {
        var inputs: [[Float]]
        var states: [LayerState]
        var logits: [Float]

        static let empty = ForwardPass(inputs: [], states: [], logits: [])

        /// The pass with every buffer held once, for the next pass to reuse: shared buffers keep
        /// the one reference the next pass lends to the layer that writes it.
        func releasingAliases(layout: NetworkLayout) -> ForwardPass {
            var pass = self
            guard !pass.inputs.isEmpty else { return pass }
            pass.inputs[0] = []
            for placed in layout.layers {
                switch (placed.layer, pass.states[placed.index]) {
                case (.flatten, _), (_, .normalization):
                    pass.inputs[placed.index + 1] = []
                case (.convolution(let layer), .convolution(var activations)):
                    pass.inputs[placed.index + 1] = []
                    if layer.isPointwise { activations.columns = [] }
                    pass.states[placed.index] = .convolution(activations)
                default:
                    continue
                }
            }
            return pass
        }

        /// Layer `index`'s output buffer and state, moved out for the layer to write again.
        mutating func recycle(_ index: Int) -> (output: [Float], state: LayerState) {
            guard index < states.count else { return ([], .none) }
            let state = states[index]
            states[index] = .none
            return (index + 1 < inputs.count ? inputs[index + 1].moveOut() : logits.moveOut(), state)
        }
    }

    /// The forward pass over `rows` examples of `layout.inputSize` channels-last values each; with
    /// `reusing`, the buffers of an earlier pass (aliases released) are written again.
    func forward(features: [Float], rows: Int, reusing old: consuming ForwardPass = .empty) -> ForwardPass {
        precondition(
            features.count == rows * layout.inputSize,
            "features.count \(features.count) != rows \(rows) × \(layout.inputSize)")
        var old = consume old
        var pass = ForwardPass(inputs: [], states: [], logits: [])
        var values = features
        parameters.withUnsafeBufferPointer { all in
            for placed in layout.layers {
                pass.inputs.append(values)
                let weights = all.slice(placed.weightRange.lowerBound, placed.weightRange.count)
                let biases = all.slice(placed.biasRange.lowerBound, placed.biasRange.count)
                var (output, state) = old.recycle(placed.index)
                switch placed.layer {
                case .dense(let layer):
                    values = layer.forward(
                        values, batch: rows, weights: weights, bias: biases, reusing: output.moveOut())
                    pass.states.append(.none)
                case .convolution(let layer):
                    var earlier: Convolution.Activations?
                    if case .convolution(let activations) = state { earlier = activations }
                    state = .none
                    let activations = layer.forward(
                        values, batch: rows, weights: weights, bias: biases, reusing: earlier.take())
                    values = activations.output
                    pass.states.append(.convolution(activations))
                case .depthwise(let layer):
                    values = layer.forward(
                        values, batch: rows, weights: weights, bias: biases, reusing: output.moveOut())
                    pass.states.append(.none)
                case .maxPooling(let layer):
                    var indices: [Int] = []
                    if case .maximumIndices(let earlier) = state { indices = earlier }
                    state = .none
                    let result = layer.forward(
                        values, batch: rows, reusing: output.moveOut(), indices: indices.moveOut())
                    values = result.output
                    pass.states.append(.maximumIndices(result.maximumIndices))
                case .averagePooling(let layer):
                    values = layer.forward(values, batch: rows, reusing: output.moveOut())
                    pass.states.append(.none)
                case .globalAveragePooling(let layer):
                    values = layer.forward(values, batch: rows, reusing: output.moveOut())
                    pass.states.append(.none)
                case .groupNormalization(let layer):
                    var earlier: GroupNormalization.Activations?
                    if case .normalization(let activations) = state { earlier = activations }
                    state = .none
                    let activations = layer.forward(
                        values, batch: rows, gamma: weights, beta: biases, reusing: earlier.take())
                    values = activations.output
                    pass.states.append(.normalization(activations))
                case .rectifier(let function):
                    values = function.forward(values, reusing: output.moveOut())
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
