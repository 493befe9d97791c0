/// The mean of each channel over the whole map: a height × width × channels map becomes
/// 1 × 1 × channels, whatever the input's size.
public struct GlobalAveragePooling: Sendable, Equatable {
    public let name: String
    public let input: FeatureMapShape

    public init(name: String, input: FeatureMapShape) throws(LayerShapeError) {
        self.name = name
        self.input = try input.validated(layer: name, role: "input")
    }

    public var output: FeatureMapShape { FeatureMapShape(height: 1, width: 1, channels: input.channels) }

    /// The layer's output for `batch` examples, in `storage`'s memory when it can hold it.
    public func forward(_ values: [Float], batch: Int, reusing storage: consuming [Float] = []) -> [Float] {
        precondition(
            values.count == batch * input.count,
            "\(name): input holds \(values.count) values, not \(batch) × \(input.count)")
        return .written(count: batch * input.channels, from: values, reusing: consume storage) {
            forward($0, batch: batch, into: $1)
        }
    }

    /// The layer's output for `batch` examples at `input` into `output` (batch × channels values).
    public func forward(_ values: UnsafePointer<Float>, batch: Int, into output: UnsafeMutablePointer<Float>) {
        let channels = input.channels
        let positions = input.height * input.width
        let scale = 1 / Float(positions)
        for example in 0..<batch {
            let target = output + example * channels
            target.update(repeating: 0, count: channels)
            for position in 0..<positions {
                addValues(target, values + (example * positions + position) * channels, count: channels)
            }
            for channel in 0..<channels { target[channel] *= scale }
        }
    }

    public func backward(outputGradient: [Float], batch: Int, reusing storage: consuming [Float] = []) -> [Float] {
        precondition(outputGradient.count == batch * input.channels, "\(name): output gradient has the wrong size")
        let channels = input.channels
        let positions = input.height * input.width
        let scale = 1 / Float(positions)
        var gradient = [Float].reusing(consume storage, count: batch * input.count)
        for example in 0..<batch {
            for position in 0..<positions {
                for channel in 0..<channels {
                    gradient[(example * positions + position) * channels + channel] =
                        outputGradient[example * channels + channel] * scale
                }
            }
        }
        return gradient
    }
}
