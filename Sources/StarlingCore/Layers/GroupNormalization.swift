/// Group normalisation (Wu & He, 2018): each example's channels are split into `groups`, and each
/// group is normalised by its own mean and variance over the whole map, then scaled and shifted per
/// channel (`gamma`, `beta`).
///
/// This is the normalisation federated training uses instead of batch normalisation. Batch
/// normalisation's statistics come from the batch, so on a device they describe that device's data
/// alone, and its running averages would have to be averaged across devices whose data differ
/// (non-IID) and would leak each device's feature means and variances to the aggregator; models
/// trained so lose accuracy when devices' data differ (Hsieh et al., 2020). Group normalisation
/// needs no statistic beyond one example, so training, inference and aggregation all see the same
/// function and only gamma and beta are averaged, like any weight.
public struct GroupNormalization: Sendable, Equatable {
    public let name: String
    public let shape: FeatureMapShape
    public let groups: Int
    public let epsilon: Float

    public init(name: String, shape: FeatureMapShape, groups: Int, epsilon: Float = 1e-5) throws(LayerShapeError) {
        let shape = try shape.validated(layer: name, role: "input")
        guard groups >= 1, shape.channels % groups == 0 else {
            throw LayerShapeError(
                layer: name, reason: "its \(shape.channels) channels do not divide into \(groups) groups")
        }
        guard epsilon > 0, epsilon.isFinite else {
            throw LayerShapeError(layer: name, reason: "its epsilon is \(epsilon); it must be a positive number")
        }
        self.name = name
        self.shape = shape
        self.groups = groups
        self.epsilon = epsilon
    }

    /// gamma then beta, one each per channel.
    public var parameterCount: Int { 2 * shape.channels }

    /// What the backward pass needs: the normalised values and each (example, group)'s 1/σ.
    public struct Activations: Sendable {
        public var normalized: [Float]
        public var inverseDeviations: [Float]
        public var output: [Float]
    }

    /// Calls `body(groupIndex, offset)` for every element of every (example, group): the group's index
    /// in the batch and the element's offset.
    private func forEachElement(batch: Int, _ body: (Int, Int, Int) -> Void) {
        let perGroup = shape.channels / groups
        let positions = shape.height * shape.width
        for example in 0..<batch {
            for position in 0..<positions {
                let base = (example * positions + position) * shape.channels
                for channel in 0..<shape.channels {
                    body(example * groups + channel / perGroup, base + channel, channel)
                }
            }
        }
    }

    public func forward(
        _ values: [Float], batch: Int, gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>
    )
        -> Activations
    {
        precondition(
            values.count == batch * shape.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(shape.count)")
        precondition(gamma.count == shape.channels && beta.count == shape.channels, "\(name): wrong parameter counts")
        let size = Double(shape.count / groups)
        var sums = [Double](repeating: 0, count: batch * groups)
        forEachElement(batch: batch) { group, offset, _ in sums[group] += Double(values[offset]) }
        let means = sums.map { $0 / size }
        var squares = [Double](repeating: 0, count: batch * groups)
        forEachElement(batch: batch) { group, offset, _ in
            let centred = Double(values[offset]) - means[group]
            squares[group] += centred * centred
        }
        let inverse = squares.map { Float(1 / ($0 / size + Double(epsilon)).squareRoot()) }
        var normalized = [Float](repeating: 0, count: values.count)
        var output = normalized
        forEachElement(batch: batch) { group, offset, channel in
            let value = (values[offset] - Float(means[group])) * inverse[group]
            normalized[offset] = value
            output[offset] = gamma[channel] * value + beta[channel]
        }
        return Activations(normalized: normalized, inverseDeviations: inverse, output: output)
    }

    /// Adds gamma's and beta's gradients and returns the input's.
    public func backward(
        outputGradient: [Float], activations: Activations, batch: Int, gamma: UnsafeBufferPointer<Float>,
        gammaGradient: UnsafeMutableBufferPointer<Float>, betaGradient: UnsafeMutableBufferPointer<Float>
    ) -> [Float] {
        addParameterGradients(
            outputGradient: outputGradient, activations: activations, batch: batch, gammaGradient: gammaGradient,
            betaGradient: betaGradient)
        return inputGradient(outputGradient: outputGradient, activations: activations, batch: batch, gamma: gamma)
    }

    /// Adds dgamma = Σ dy·x̂ and dbeta = Σ dy per channel.
    func addParameterGradients(
        outputGradient: [Float], activations: Activations, batch: Int, gammaGradient: UnsafeMutableBufferPointer<Float>,
        betaGradient: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(outputGradient.count == batch * shape.count, "\(name): output gradient has the wrong size")
        let normalized = activations.normalized
        forEachElement(batch: batch) { _, offset, channel in
            gammaGradient[channel] += outputGradient[offset] * normalized[offset]
            betaGradient[channel] += outputGradient[offset]
        }
    }

    /// The input's gradient, dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per group, with ĝ = gamma·dy.
    func inputGradient(outputGradient: [Float], activations: Activations, batch: Int, gamma: UnsafeBufferPointer<Float>)
        -> [Float]
    {
        precondition(outputGradient.count == batch * shape.count, "\(name): output gradient has the wrong size")
        let size = Double(shape.count / groups)
        let normalized = activations.normalized
        var sums = [Double](repeating: 0, count: batch * groups)
        var weighted = [Double](repeating: 0, count: batch * groups)
        forEachElement(batch: batch) { group, offset, channel in
            let scaled = Double(gamma[channel] * outputGradient[offset])
            sums[group] += scaled
            weighted[group] += scaled * Double(normalized[offset])
        }
        var gradient = [Float](repeating: 0, count: outputGradient.count)
        forEachElement(batch: batch) { group, offset, channel in
            let scaled = Double(gamma[channel] * outputGradient[offset])
            let centred = scaled - sums[group] / size - Double(normalized[offset]) * weighted[group] / size
            gradient[offset] = Float(centred) * activations.inverseDeviations[group]
        }
        return gradient
    }
}
