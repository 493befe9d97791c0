/// Average pooling per channel. `countsPadding` divides every window by its full size, as PyTorch
/// does by default (`count_include_pad=True`); otherwise by the positions inside the input, as
/// ONNX's AveragePool does by default.
public struct AveragePooling: Sendable, Equatable {
    public let name: String
    public let countsPadding: Bool
    let geometry: PoolingGeometry

    public init(name: String, input: FeatureMapShape, window: Window2D, countsPadding: Bool) throws(LayerShapeError) {
        self.name = name
        self.countsPadding = countsPadding
        self.geometry = try PoolingGeometry(name: name, input: input, window: window)
    }

    public var input: FeatureMapShape { geometry.input }
    public var output: FeatureMapShape { geometry.output }

    /// What each output position divides by.
    private func divisors(batch: Int) -> [Float] {
        let positions = batch * output.height * output.width
        if countsPadding {
            return [Float](
                repeating: Float(geometry.window.kernelHeight * geometry.window.kernelWidth), count: positions)
        }
        var counts = [Float](repeating: 0, count: positions)
        geometry.forEachWindowPosition(batch: batch) { outputPosition, _ in counts[outputPosition] += 1 }
        return counts
    }

    /// The layer's output for `batch` examples, in `storage`'s memory when it can hold it.
    public func forward(_ values: [Float], batch: Int, reusing storage: consuming [Float] = []) -> [Float] {
        precondition(
            values.count == batch * input.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(input.count)")
        return .written(count: batch * output.count, from: values, reusing: consume storage) {
            forward($0, batch: batch, into: $1)
        }
    }

    /// The layer's output for `batch` examples at `values` into `output` (batch × output.count).
    public func forward(_ values: UnsafePointer<Float>, batch: Int, into output: UnsafeMutablePointer<Float>) {
        let channels = input.channels
        output.update(repeating: 0, count: batch * self.output.count)
        geometry.forEachWindowPosition(batch: batch) { outputPosition, inputPosition in
            addValues(output + outputPosition * channels, values + inputPosition * channels, count: channels)
        }
        for (position, divisor) in divisors(batch: batch).enumerated() where divisor > 0 {
            let target = output + position * channels
            for channel in 0..<channels { target[channel] /= divisor }
        }
    }

    /// The input's gradient: each output's gradient shared out over its window.
    public func backward(outputGradient: [Float], batch: Int, reusing storage: consuming [Float] = []) -> [Float] {
        precondition(outputGradient.count == batch * output.count, "\(name): output gradient has the wrong size")
        let channels = input.channels
        let divisors = divisors(batch: batch)
        var gradient = [Float].zeros(batch * input.count, reusing: consume storage)
        geometry.forEachWindowPosition(batch: batch) { outputPosition, inputPosition in
            let divisor = divisors[outputPosition]
            for channel in 0..<channels {
                gradient[inputPosition * channels + channel] +=
                    outputGradient[outputPosition * channels + channel] / divisor
            }
        }
        return gradient
    }
}
