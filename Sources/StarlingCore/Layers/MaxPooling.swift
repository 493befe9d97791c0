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
    public func forward(_ values: [Float], batch: Int) -> (output: [Float], maximumIndices: [Int]) {
        precondition(
            values.count == batch * input.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(input.count)")
        let channels = input.channels
        var result = [Float](repeating: -.infinity, count: batch * output.count)
        var indices = [Int](repeating: -1, count: result.count)
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { result in
                indices.withUnsafeMutableBufferPointer { indices in
                    guard let source = source.baseAddress, let result = result.baseAddress,
                        let indices = indices.baseAddress
                    else { return }
                    geometry.forEachWindowPosition(batch: batch) { outputPosition, inputPosition in
                        let (first, target) = (inputPosition * channels, outputPosition * channels)
                        let (row, maximum, index) = (source + first, result + target, indices + target)
                        for channel in 0..<channels where row[channel] > maximum[channel] || index[channel] < 0 {
                            maximum[channel] = row[channel]
                            index[channel] = first + channel
                        }
                    }
                }
            }
        }
        return (result, indices)
    }

    /// The input's gradient: each output's gradient added at its maximum's index.
    public func backward(outputGradient: [Float], maximumIndices: [Int], batch: Int) -> [Float] {
        precondition(outputGradient.count == maximumIndices.count, "\(name): output gradient has the wrong size")
        var gradient = [Float](repeating: 0, count: batch * input.count)
        for (index, delta) in zip(maximumIndices, outputGradient) where index >= 0 {
            gradient[index] += delta
        }
        return gradient
    }
}
