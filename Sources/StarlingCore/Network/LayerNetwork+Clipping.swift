extension LayerNetwork {
    /// DP-SGD's sum over the batch of each example's gradient clipped to L2 norm at most `clipNorm`
    /// (Abadi et al., 2016), the summed loss, and each example's gradient norm before clipping.
    ///
    /// One forward pass and one pass of deltas serve every example: each parameter layer's
    /// per-example norms come from its input and its output's delta (ghost clipping for the
    /// convolutions, see ``Convolution``), and since the backward pass is linear in the output
    /// delta, each example's clipped gradient is its delta rows scaled by min(1, C/‖g_i‖) in the
    /// layers' ordinary gradient products. The gradient returned is `initial + scale · sum`.
    public func clippedGradientSum(
        features: [Float], labels: [Int], rows: Int, clipNorm: Float, scale: Float = 1,
        addingTo initial: consuming [Float]? = nil, workspace: TrainingWorkspace = TrainingWorkspace()
    ) -> (lossSum: Float, gradient: [Float], norms: [Float]) {
        checkBatch(labels: labels, rows: rows)
        precondition(clipNorm > 0, "clipNorm must be positive")
        precondition(initial.map { $0.count == parameters.count } ?? true, "initial needs one value per parameter")
        var gradient = initial ?? [Float](repeating: 0, count: parameters.count)
        guard rows > 0 else { return (0, gradient, []) }
        let pass = forward(features: features, rows: rows, reusing: workspace.pass.take() ?? .empty)
        var deltas = workspace.deltas.moveOut()
        let meanLoss = outputDelta(pass: pass, labels: labels, scale: 1, deltas: &deltas)
        outputDeltas(pass: pass, rows: rows, deltas: &deltas, columnScratch: &workspace.columnScratch)
        var squaredNorms = [Float](repeating: 0, count: rows)
        for placed in layout.layers {
            let delta = deltas[placed.index]
            let input = pass.inputs[placed.index]
            switch (placed.layer, pass.states[placed.index]) {
            case (.dense(let layer), _):
                layer.addPerExampleSquaredNorms(outputGradient: delta, input: input, batch: rows, into: &squaredNorms)
            case (.convolution(let layer), .convolution(let activations)):
                layer.addPerExampleSquaredNorms(
                    outputGradient: delta, activations: activations, batch: rows, into: &squaredNorms)
            case (.depthwise(let layer), _):
                layer.addPerExampleSquaredNorms(outputGradient: delta, input: input, batch: rows, into: &squaredNorms)
            case (.groupNormalization(let layer), .normalization(let activations)):
                layer.addPerExampleSquaredNorms(
                    outputGradient: delta, activations: activations, batch: rows, into: &squaredNorms)
            default:
                continue
            }
        }
        let norms = squaredNorms.map { $0.squareRoot() }
        let factors = norms.map { norm in scale * (norm > clipNorm ? clipNorm / norm : 1) }
        for placed in layout.layers where !placed.weightRange.isEmpty {
            let perExample = deltas[placed.index].count / rows
            deltas[placed.index].withUnsafeMutableBufferPointer { delta in
                for (example, factor) in factors.enumerated() where factor != 1 {
                    for index in (example * perExample)..<((example + 1) * perExample) { delta[index] *= factor }
                }
            }
        }
        addParameterGradients(pass: pass, deltas: deltas, rows: rows, into: &gradient)
        workspace.keep(pass: pass, deltas: deltas, layout: layout)
        return (meanLoss * Float(rows), gradient, norms)
    }
}
