/// Inference-mode batch normalisation, y = gamma·(x − mean)/√(variance + ε) + beta per channel, as
/// imported models carry it after their convolutions. It is never run as a layer: it is folded into
/// the convolution before it, scaling each output channel's weights and shifting its bias, so the
/// float and int8 paths run one convolution. Federated training uses ``GroupNormalization``.
public struct BatchNormalization: Sendable, Equatable {
    public var gamma: [Float]
    public var beta: [Float]
    public var mean: [Float]
    public var variance: [Float]
    public var epsilon: Float

    /// Refuses parameter lists of different lengths and variances that make √(variance + ε) zero or
    /// not a number, naming `layer`.
    public init(layer: String, gamma: [Float], beta: [Float], mean: [Float], variance: [Float], epsilon: Float)
        throws(LayerShapeError)
    {
        guard beta.count == gamma.count, mean.count == gamma.count, variance.count == gamma.count else {
            throw LayerShapeError(
                layer: layer,
                reason: "its scale, bias, mean and variance have \(gamma.count), \(beta.count), \(mean.count) and "
                    + "\(variance.count) values; they must have one per channel")
        }
        guard epsilon >= 0, variance.allSatisfy({ ($0 + epsilon) > 0 && ($0 + epsilon).isFinite }) else {
            throw LayerShapeError(layer: layer, reason: "a variance plus epsilon is not a positive number")
        }
        self.gamma = gamma
        self.beta = beta
        self.mean = mean
        self.variance = variance
        self.epsilon = epsilon
    }

    public var channels: Int { gamma.count }

    /// Each channel's factor gamma/√(variance + ε) and shift beta − mean·factor.
    private var scaleAndShift: [(scale: Float, shift: Float)] {
        (0..<channels).map { channel in
            let scale = gamma[channel] / (variance[channel] + epsilon).squareRoot()
            return (scale, beta[channel] - mean[channel] * scale)
        }
    }

    /// Folds into a ``Convolution``'s weights ([outputChannels, patch], one row per channel) and bias.
    public func folded(convolutionWeights weights: [Float], bias: [Float]) -> (weights: [Float], bias: [Float]) {
        precondition(
            bias.count == channels && weights.count % channels == 0,
            "batch normalisation does not match the convolution")
        let patch = weights.count / channels
        var weights = weights
        var bias = bias
        for (channel, (scale, shift)) in scaleAndShift.enumerated() {
            for index in (channel * patch)..<((channel + 1) * patch) { weights[index] *= scale }
            bias[channel] = bias[channel] * scale + shift
        }
        return (weights, bias)
    }

    /// Folds into a ``DepthwiseConvolution``'s weights ([kernel positions, channels], channel last)
    /// and bias.
    public func folded(depthwiseWeights weights: [Float], bias: [Float]) -> (weights: [Float], bias: [Float]) {
        precondition(
            bias.count == channels && weights.count % channels == 0,
            "batch normalisation does not match the convolution")
        var weights = weights
        var bias = bias
        let factors = scaleAndShift
        for index in weights.indices { weights[index] *= factors[index % channels].scale }
        for (channel, (scale, shift)) in factors.enumerated() { bias[channel] = bias[channel] * scale + shift }
        return (weights, bias)
    }
}
