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

    /// What the backward pass needs: the normalised values and each (example, group)'s 1/σ.
    public struct Activations: Sendable {
        public var normalized: [Float]
        public var inverseDeviations: [Float]
        public var output: [Float]
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
        let channels = shape.channels
        let perGroup = channels / groups
        let positions = shape.height * shape.width
        let size = Double(positions * perGroup)
        var normalized = [Float](repeating: 0, count: values.count)
        var output = normalized
        var inverse = [Float](repeating: 0, count: batch * groups)
        // Per channel: the running sum, then the group's mean and 1/σ, so the element loops run over
        // contiguous channels with no division.
        var sums = [Double](repeating: 0, count: channels)
        var means = sums
        var channelMean = [Float](repeating: 0, count: channels)
        var channelInverse = channelMean
        for example in 0..<batch {
            let start = example * shape.count
            for channel in 0..<channels { sums[channel] = 0 }
            for position in 0..<positions {
                let row = start + position * channels
                for channel in 0..<channels { sums[channel] += Double(values[row + channel]) }
            }
            for group in 0..<groups {
                let range = (group * perGroup)..<((group + 1) * perGroup)
                let mean = range.reduce(0) { $0 + sums[$1] } / size
                for channel in range { means[channel] = mean }
            }
            for channel in 0..<channels { sums[channel] = 0 }
            for position in 0..<positions {
                let row = start + position * channels
                for channel in 0..<channels {
                    let centred = Double(values[row + channel]) - means[channel]
                    sums[channel] += centred * centred
                }
            }
            for group in 0..<groups {
                let range = (group * perGroup)..<((group + 1) * perGroup)
                let deviation = Float(1 / (range.reduce(0) { $0 + sums[$1] } / size + Double(epsilon)).squareRoot())
                inverse[example * groups + group] = deviation
                for channel in range {
                    channelInverse[channel] = deviation
                    channelMean[channel] = Float(means[channel])
                }
            }
            for position in 0..<positions {
                let row = start + position * channels
                for channel in 0..<channels {
                    let value = (values[row + channel] - channelMean[channel]) * channelInverse[channel]
                    normalized[row + channel] = value
                    output[row + channel] = gamma[channel] * value + beta[channel]
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
        let channels = shape.channels
        let perGroup = channels / groups
        let positions = shape.height * shape.width
        let size = Double(positions * perGroup)
        let normalized = activations.normalized
        var gradient = [Float](repeating: 0, count: outputGradient.count)
        var sums = [Double](repeating: 0, count: channels)
        var weighted = sums
        var channelMean = [Float](repeating: 0, count: channels)
        var channelWeighted = channelMean
        var channelInverse = channelMean
        for example in 0..<batch {
            let start = example * shape.count
            for channel in 0..<channels {
                sums[channel] = 0
                weighted[channel] = 0
            }
            for position in 0..<positions {
                let row = start + position * channels
                for channel in 0..<channels {
                    let scaled = Double(gamma[channel] * outputGradient[row + channel])
                    sums[channel] += scaled
                    weighted[channel] += scaled * Double(normalized[row + channel])
                }
            }
            for group in 0..<groups {
                let range = (group * perGroup)..<((group + 1) * perGroup)
                let mean = Float(range.reduce(0) { $0 + sums[$1] } / size)
                let weightedMean = Float(range.reduce(0) { $0 + weighted[$1] } / size)
                for channel in range {
                    channelMean[channel] = mean
                    channelWeighted[channel] = weightedMean
                    channelInverse[channel] = activations.inverseDeviations[example * groups + group]
                }
            }
            for position in 0..<positions {
                let row = start + position * channels
                for channel in 0..<channels {
                    let scaled = gamma[channel] * outputGradient[row + channel]
                    let centred = scaled - channelMean[channel] - normalized[row + channel] * channelWeighted[channel]
                    gradient[row + channel] = centred * channelInverse[channel]
                }
            }
        }
        return gradient
    }
}
