/// Max pooling per channel. Padding never wins: only positions inside the input are compared. The
/// forward pass records where each maximum came from, and the backward pass sends each output's
/// gradient there alone.
public struct MaxPooling: Sendable, Equatable {
    public let name: String
    let geometry: PoolingGeometry

    public init(name: String, input: FeatureMapShape, window: Window2D) throws(LayerShapeError) {
        self.name = name
        self.geometry = try PoolingGeometry(name: name, input: input, window: window)
    }

    public var input: FeatureMapShape { geometry.input }
    public var output: FeatureMapShape { geometry.output }

    /// The output and, for each output element, the index in the batch's input of its maximum.
    /// With `reusing` and `indices`, the output and indices of an earlier pass lend their memory.
    public func forward(
        _ values: [Float], batch: Int, reusing storage: consuming [Float] = [], indices earlier: consuming [Int] = []
    ) -> (output: [Float], maximumIndices: [Int]) {
        precondition(
            values.count == batch * input.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(input.count)")
        var result = [Float].reusing(consume storage, count: batch * output.count)
        var indices = consume earlier
        indices.removeAll(keepingCapacity: true)
        indices.append(contentsOf: repeatElement(-1, count: result.count))
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { result in
                indices.withUnsafeMutableBufferPointer { indices in
                    guard let source = source.baseAddress, let result = result.baseAddress else { return }
                    forward(source, batch: batch, into: result, maximumIndices: indices.baseAddress)
                }
            }
        }
        return (result, indices)
    }

    /// The output for `batch` examples at `values` into `output` (batch × output.count) and, when
    /// `maximumIndices` is given (filled with −1 by the caller), where each maximum came from: there
    /// a window's first value always wins over an unset index, so a window of NaNs yields NaN.
    /// Without indices (inference) the maxima start at −∞ and only larger values replace them.
    public func forward(
        _ values: UnsafePointer<Float>, batch: Int, into output: UnsafeMutablePointer<Float>,
        maximumIndices: UnsafeMutablePointer<Int>?
    ) {
        let channels = input.channels
        output.update(repeating: -.infinity, count: batch * self.output.count)
        guard let maximumIndices else {
            // Inference: one call per run of adjacent taps, and a select the compiler vectorises.
            geometry.window.forEachTapRun(input: input, output: self.output, batch: batch) {
                outputPosition, _, inputPosition, count in
                let maximum = output + outputPosition * channels
                var row = values + inputPosition * channels
                for _ in 0..<count {
                    for channel in 0..<channels {
                        let value = row[channel]
                        maximum[channel] = value > maximum[channel] ? value : maximum[channel]
                    }
                    row += channels
                }
            }
            return
        }
        geometry.forEachWindowPosition(batch: batch) { outputPosition, inputPosition in
            let (first, target) = (inputPosition * channels, outputPosition * channels)
            let (row, maximum, indices) = (values + first, output + target, maximumIndices + target)
            for channel in 0..<channels where row[channel] > maximum[channel] || indices[channel] < 0 {
                maximum[channel] = row[channel]
                indices[channel] = first + channel
            }
        }
    }

    /// The input's gradient: each output's gradient added at its maximum's index.
    public func backward(
        outputGradient: [Float], maximumIndices: [Int], batch: Int, reusing storage: consuming [Float] = []
    ) -> [Float] {
        precondition(outputGradient.count == maximumIndices.count, "\(name): output gradient has the wrong size")
        var gradient = [Float].zeros(batch * input.count, reusing: consume storage)
        gradient.withUnsafeMutableBufferPointer { gradient in
            for (index, delta) in zip(maximumIndices, outputGradient) where index >= 0 {
                gradient[index] += delta
            }
        }
        return gradient
    }
}
