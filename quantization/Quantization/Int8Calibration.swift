import StarlingCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Static activation scales for post-training quantization: run the fp32 model over calibration
/// rows and take, for each layer input, s = max|x| / 127 (max calibration; Jacob et al. 2018 §3).
enum Int8Calibration {
    /// One input scale per layer; an all-zero input gets scale 1.
    static func inputScales(of model: MLP, preprocessing: Preprocessing, on data: Dataset) throws(QuantizationError)
        -> [Float]
    {
        let architecture = model.architecture
        guard data.featureCount == architecture.inputSize else {
            throw .calibrationWidthMismatch(expected: architecture.inputSize, actual: data.featureCount)
        }
        guard data.count > 0 else { throw .emptyCalibration }
        var input = preprocessing.apply(data.features)
        let layers = model.namedTensorsByLayer
        var scales: [Float] = []
        for (index, layer) in layers.enumerated() {
            scales.append(scale(of: input))
            guard index < layers.count - 1 else { break }
            input = dense(input, rows: data.count, weight: layer.weight, bias: layer.bias.values)
            apply(architecture.dense?.hiddenActivation ?? .relu, to: &input)
        }
        return scales
    }

    private static func scale(of values: [Float]) -> Float {
        let largest = values.reduce(0) { max($0, abs($1)) }
        return largest > 0 ? largest / 127 : 1
    }

    /// Y = X·Wᵀ + b, plain loops (calibration runs once, off the hot path).
    private static func dense(_ x: [Float], rows: Int, weight: Tensor, bias: [Float]) -> [Float] {
        let outputs = weight.shape[0], inputs = weight.shape[1]
        var y = [Float](repeating: 0, count: rows * outputs)
        x.withUnsafeBufferPointer { x in
            weight.values.withUnsafeBufferPointer { w in
                y.withUnsafeMutableBufferPointer { y in
                    for row in 0..<rows {
                        for out in 0..<outputs {
                            var sum = bias[out]
                            for index in 0..<inputs { sum += x[row * inputs + index] * w[out * inputs + index] }
                            y[row * outputs + out] = sum
                        }
                    }
                }
            }
        }
        return y
    }

    private static func apply(_ activation: HiddenActivation, to values: inout [Float]) {
        switch activation {
        case .relu: values = values.map { max($0, 0) }
        case .sigmoid: values = values.map { 1 / (1 + expf(-$0)) }
        case .tanh: values = values.map { tanhf($0) }
        }
    }
}
