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

    /// Per example, each channel's sums over the map's positions of `first(offset)` and
    /// `second(offset)`, folded into each group's: the statistics every pass needs, gathered with the
    /// channels innermost (contiguous, channels-last) instead of element by element.
    private func groupSums(
        batch: Int, _ first: (Int) -> Double, _ second: (Int) -> Double
    ) -> (first: [Double], second: [Double]) {
        let channels = shape.channels
        let perGroup = channels / groups
        let positions = shape.height * shape.width
        var firstSums = [Double](repeating: 0, count: batch * groups)
        var secondSums = firstSums
        var channelFirst = [Double](repeating: 0, count: channels)
        var channelSecond = channelFirst
        for example in 0..<batch {
            for channel in 0..<channels {
                channelFirst[channel] = 0
                channelSecond[channel] = 0
            }
            for position in 0..<positions {
                let base = (example * positions + position) * channels
                for channel in 0..<channels {
                    channelFirst[channel] += first(base + channel)
                    channelSecond[channel] += second(base + channel)
                }
            }
            for channel in 0..<channels {
                firstSums[example * groups + channel / perGroup] += channelFirst[channel]
                secondSums[example * groups + channel / perGroup] += channelSecond[channel]
            }
        }
        return (firstSums, secondSums)
    }

    /// Calls `body(offset, channel)` for every element of example `example`, channels innermost.
    private func forEachElement(of example: Int, _ body: (Int, Int) -> Void) {
        let channels = shape.channels
        let positions = shape.height * shape.width
        for position in 0..<positions {
            let base = (example * positions + position) * channels
            for channel in 0..<channels { body(base + channel, channel) }
        }
    }

    public func forward(
        _ values: [Float], batch: Int, gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>
    ) -> Activations {
        precondition(
            values.count == batch * shape.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(shape.count)")
        precondition(gamma.count == shape.channels && beta.count == shape.channels, "\(name): wrong parameter counts")
        let size = Double(shape.count / groups)
        let perGroup = shape.channels / groups
        var normalized = [Float](repeating: 0, count: values.count)
        var output = normalized
        var inverse = [Float](repeating: 0, count: batch * groups)
        values.withUnsafeBufferPointer { x in
            let sums = groupSums(batch: batch, { Double(x[$0]) }, { _ in 0 }).first
            let means = sums.map { $0 / size }
            let squares = groupSums(
                batch: batch,
                { offset in
                    let centred =
                        Double(x[offset]) - means[offset / shape.count * groups + offset % shape.channels / perGroup]
                    return centred * centred
                }, { _ in 0 }
            ).first
            for index in inverse.indices {
                inverse[index] = Float(1 / (squares[index] / size + Double(epsilon)).squareRoot())
            }
            normalized.withUnsafeMutableBufferPointer { normalized in
                output.withUnsafeMutableBufferPointer { output in
                    for example in 0..<batch {
                        let firstGroup = example * groups
                        forEachElement(of: example) { offset, channel in
                            let group = firstGroup + channel / perGroup
                            let value = (x[offset] - Float(means[group])) * inverse[group]
                            normalized[offset] = value
                            output[offset] = gamma[channel] * value + beta[channel]
                        }
                    }
                }
            }
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
        outputGradient.withUnsafeBufferPointer { dy in
            activations.normalized.withUnsafeBufferPointer { normalized in
                for example in 0..<batch {
                    forEachElement(of: example) { offset, channel in
                        gammaGradient[channel] += dy[offset] * normalized[offset]
                        betaGradient[channel] += dy[offset]
                    }
                }
            }
        }
    }

    /// The input's gradient, dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per group, with ĝ = gamma·dy.
    func inputGradient(outputGradient: [Float], activations: Activations, batch: Int, gamma: UnsafeBufferPointer<Float>)
        -> [Float]
    {
        precondition(outputGradient.count == batch * shape.count, "\(name): output gradient has the wrong size")
        let size = Double(shape.count / groups)
        let perGroup = shape.channels / groups
        var gradient = [Float](repeating: 0, count: outputGradient.count)
        outputGradient.withUnsafeBufferPointer { dy in
            activations.normalized.withUnsafeBufferPointer { normalized in
                let channels = shape.channels
                let (sums, weighted) = groupSums(
                    batch: batch, { Double(gamma[$0 % channels] * dy[$0]) },
                    { Double(gamma[$0 % channels] * dy[$0]) * Double(normalized[$0]) })
                gradient.withUnsafeMutableBufferPointer { gradient in
                    for example in 0..<batch {
                        let firstGroup = example * groups
                        forEachElement(of: example) { offset, channel in
                            let group = firstGroup + channel / perGroup
                            let scaled = Double(gamma[channel] * dy[offset])
                            let centred =
                                scaled - sums[group] / size - Double(normalized[offset]) * weighted[group] / size
                            gradient[offset] = Float(centred) * activations.inverseDeviations[group]
                        }
                    }
                }
            }
        }
        return gradient
    }
}
