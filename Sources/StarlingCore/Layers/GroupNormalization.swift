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

    /// With `reusing`, the activations of an earlier pass lend their memory.
    public func forward(
        _ values: [Float], batch: Int, gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>,
        reusing storage: consuming Activations? = nil
    ) -> Activations {
        precondition(
            values.count == batch * shape.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(shape.count)")
        precondition(gamma.count == shape.channels && beta.count == shape.channels, "\(name): wrong parameter counts")
        var old = (consume storage) ?? Activations(normalized: [], inverseDeviations: [], output: [])
        var normalized = [Float].reusing(old.normalized.moveOut(), count: values.count)
        var output = [Float].reusing(old.output.moveOut(), count: values.count)
        var inverse = [Float].reusing(old.inverseDeviations.moveOut(), count: batch * groups)
        values.withUnsafeBufferPointer { x in
            normalized.withUnsafeMutableBufferPointer { n in
                output.withUnsafeMutableBufferPointer { y in
                    inverse.withUnsafeMutableBufferPointer { inverse in
                        guard let x = x.baseAddress, let y = y.baseAddress, let gamma = gamma.baseAddress,
                            let beta = beta.baseAddress
                        else { return }
                        forward(
                            x, batch: batch, gamma: gamma, beta: beta, into: y, normalized: n.baseAddress,
                            inverseDeviations: inverse.baseAddress)
                    }
                }
            }
        }
        return Activations(normalized: normalized, inverseDeviations: inverse, output: output)
    }

    /// The layer's output for `batch` examples at `x` into `y`; the normalised values and each
    /// (example, group)'s 1/σ too when `normalized` and `inverseDeviations` are given (training).
    public func forward(
        _ x: UnsafePointer<Float>, batch: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>, normalized: UnsafeMutablePointer<Float>?,
        inverseDeviations: UnsafeMutablePointer<Float>?
    ) {
        let channels = shape.channels
        let positions = shape.height * shape.width
        let perGroup = channels / groups
        let size = Double(positions * perGroup)
        // Per channel: the running sums, then the group's mean and 1/σ, so the element loops run over
        // contiguous channels through pointers, with no division and no index checks.
        let scratch = ChannelScratch(channels: channels)
        defer { scratch.deallocate() }
        let squares = UnsafeMutablePointer<Double>.allocate(capacity: channels)
        defer { squares.deallocate() }
        for example in 0..<batch {
            let start = example * shape.count
            // One pass for Σx and Σx² in Double: the variance E[x²] − E[x]² of Float values keeps
            // Float's precision in Double, without a second pass over the map.
            scratch.clearSums()
            squares.update(repeating: 0, count: channels)
            for position in 0..<positions {
                let row = x + start + position * channels
                for channel in 0..<channels {
                    let value = Double(row[channel])
                    scratch.sums[channel] += value
                    squares[channel] += value * value
                }
            }
            scratch.spreadGroupMeans(groups: groups, positions: positions, into: scratch.means)
            for group in 0..<groups {
                var sumOfSquares = 0.0
                for channel in (group * perGroup)..<((group + 1) * perGroup) { sumOfSquares += squares[channel] }
                let mean = scratch.means[group * perGroup]
                let variance = max(sumOfSquares / size - mean * mean, 0)
                let deviation = Float(1 / (variance + Double(epsilon)).squareRoot())
                inverseDeviations?[example * groups + group] = deviation
                for channel in (group * perGroup)..<((group + 1) * perGroup) {
                    scratch.first[channel] = Float(scratch.means[channel])
                    scratch.second[channel] = deviation
                }
            }
            let (mean, inverseDeviation) = (scratch.first, scratch.second)
            for position in 0..<positions {
                let offset = start + position * channels
                let (row, outputRow) = (x + offset, y + offset)
                if let normalizedRow = normalized.map({ $0 + offset }) {
                    for channel in 0..<channels {
                        let value = (row[channel] - mean[channel]) * inverseDeviation[channel]
                        normalizedRow[channel] = value
                        outputRow[channel] = gamma[channel] * value + beta[channel]
                    }
                } else {
                    for channel in 0..<channels {
                        let value = (row[channel] - mean[channel]) * inverseDeviation[channel]
                        outputRow[channel] = gamma[channel] * value + beta[channel]
                    }
                }
            }
        }
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
        precondition(
            gammaGradient.count == shape.channels && betaGradient.count == shape.channels,
            "\(name): wrong gradient counts")
        let channels = shape.channels
        outputGradient.withUnsafeBufferPointer { dy in
            activations.normalized.withUnsafeBufferPointer { normalized in
                guard let dy = dy.baseAddress, let normalized = normalized.baseAddress,
                    let gammaGradient = gammaGradient.baseAddress, let betaGradient = betaGradient.baseAddress
                else { return }
                for row in 0..<(batch * shape.height * shape.width) {
                    let (upstream, values) = (dy + row * channels, normalized + row * channels)
                    for channel in 0..<channels {
                        gammaGradient[channel] += upstream[channel] * values[channel]
                        betaGradient[channel] += upstream[channel]
                    }
                }
            }
        }
    }

    /// The input's gradient, dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per group, with ĝ = gamma·dy.
    func inputGradient(
        outputGradient: [Float], activations: Activations, batch: Int, gamma: UnsafeBufferPointer<Float>,
        reusing storage: consuming [Float] = []
    ) -> [Float] {
        precondition(outputGradient.count == batch * shape.count, "\(name): output gradient has the wrong size")
        precondition(activations.normalized.count == outputGradient.count, "\(name): activations have the wrong size")
        let channels = shape.channels
        let positions = shape.height * shape.width
        let perGroup = channels / groups
        var gradient = [Float].reusing(consume storage, count: outputGradient.count)
        let scratch = ChannelScratch(channels: channels)
        defer { scratch.deallocate() }
        let weighted = UnsafeMutablePointer<Double>.allocate(capacity: channels)
        defer { weighted.deallocate() }
        // One example's sums over its positions gather in Float, which vectorises twice as wide
        // as Double and needs no conversion per element: these are sums of gradients, with no
        // cancellation like the variance's, and a map holds few enough positions for Float.
        let (sums, weightedSums) = (
            UnsafeMutablePointer<Float>.allocate(capacity: channels),
            UnsafeMutablePointer<Float>.allocate(capacity: channels)
        )
        defer {
            sums.deallocate()
            weightedSums.deallocate()
        }
        outputGradient.withUnsafeBufferPointer { dy in
            activations.normalized.withUnsafeBufferPointer { normalized in
                gradient.withUnsafeMutableBufferPointer { dx in
                    guard let dy = dy.baseAddress, let normalized = normalized.baseAddress, let dx = dx.baseAddress,
                        let gamma = gamma.baseAddress
                    else { return }
                    for example in 0..<batch {
                        let start = example * shape.count
                        sums.update(repeating: 0, count: channels)
                        weightedSums.update(repeating: 0, count: channels)
                        for position in 0..<positions {
                            let offset = start + position * channels
                            let (upstream, values) = (dy + offset, normalized + offset)
                            for channel in 0..<channels {
                                let scaled = gamma[channel] * upstream[channel]
                                sums[channel] += scaled
                                weightedSums[channel] += scaled * values[channel]
                            }
                        }
                        for channel in 0..<channels {
                            scratch.sums[channel] = Double(sums[channel])
                            weighted[channel] = Double(weightedSums[channel])
                        }
                        scratch.spreadGroupMeans(groups: groups, positions: positions, into: scratch.means)
                        let (mean, weightedMean, inverse) = (scratch.first, scratch.second, scratch.third)
                        let size = Double(positions * perGroup)
                        for group in 0..<groups {
                            var sum = 0.0
                            for channel in (group * perGroup)..<((group + 1) * perGroup) { sum += weighted[channel] }
                            let deviation = activations.inverseDeviations[example * groups + group]
                            for channel in (group * perGroup)..<((group + 1) * perGroup) {
                                mean[channel] = Float(scratch.means[channel])
                                weightedMean[channel] = Float(sum / size)
                                inverse[channel] = deviation
                            }
                        }
                        for position in 0..<positions {
                            let offset = start + position * channels
                            let (upstream, values, target) = (dy + offset, normalized + offset, dx + offset)
                            for channel in 0..<channels {
                                let scaled = gamma[channel] * upstream[channel]
                                let centred = scaled - mean[channel] - values[channel] * weightedMean[channel]
                                target[channel] = centred * inverse[channel]
                            }
                        }
                    }
                }
            }
        }
        return gradient
    }
}

/// Per-channel scratch of a group normalisation pass: running sums and group means in Double, and
/// three rows of per-channel floats, allocated once per call and freed by the caller.
private struct ChannelScratch {
    let channels: Int
    let sums: UnsafeMutablePointer<Double>
    let means: UnsafeMutablePointer<Double>
    let first: UnsafeMutablePointer<Float>
    let second: UnsafeMutablePointer<Float>
    let third: UnsafeMutablePointer<Float>

    init(channels: Int) {
        self.channels = channels
        sums = .allocate(capacity: channels)
        means = .allocate(capacity: channels)
        first = .allocate(capacity: channels)
        second = .allocate(capacity: channels)
        third = .allocate(capacity: channels)
    }

    func clearSums() { sums.update(repeating: 0, count: channels) }

    /// Each channel's group mean of `sums` over `positions` positions, written to every channel of its group.
    func spreadGroupMeans(groups: Int, positions: Int, into target: UnsafeMutablePointer<Double>) {
        let perGroup = channels / groups
        let size = Double(positions * perGroup)
        for group in 0..<groups {
            var sum = 0.0
            for channel in (group * perGroup)..<((group + 1) * perGroup) { sum += sums[channel] }
            for channel in (group * perGroup)..<((group + 1) * perGroup) { target[channel] = sum / size }
        }
    }

    func deallocate() {
        sums.deallocate()
        means.deallocate()
        first.deallocate()
        second.deallocate()
        third.deallocate()
    }
}
