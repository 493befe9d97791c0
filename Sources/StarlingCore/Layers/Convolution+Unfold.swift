extension Convolution {
    /// im2col: one row per output position, the window's values in (kernelY, kernelX, channel)
    /// order, zeros where the window covers padding. Each run of adjacent taps is one copy.
    func unfold(_ values: [Float], batch: Int, reusing storage: consuming [Float] = []) -> [Float] {
        let channels = input.channels
        let patch = patchSize
        var columns = [Float].zeros(batch * output.height * output.width * patch, reusing: consume storage)
        values.withUnsafeBufferPointer { source in
            columns.withUnsafeMutableBufferPointer { columns in
                guard let source = source.baseAddress, let target = columns.baseAddress else { return }
                window.forEachTapRun(input: input, output: output, batch: batch) { row, kernelIndex, position, count in
                    (target + row * patch + kernelIndex * channels).update(
                        from: source + position * channels, count: count * channels)
                }
            }
        }
        return columns
    }

    /// col2im: adds each unfolded row's gradient back onto the input positions it was read from.
    func fold(_ columnGradient: [Float], batch: Int, reusing storage: consuming [Float] = []) -> [Float] {
        let channels = input.channels
        let patch = patchSize
        var gradient = [Float].zeros(batch * input.count, reusing: consume storage)
        columnGradient.withUnsafeBufferPointer { columns in
            gradient.withUnsafeMutableBufferPointer { gradient in
                guard let source = columns.baseAddress, let target = gradient.baseAddress else { return }
                window.forEachTapRun(input: input, output: output, batch: batch) { row, kernelIndex, position, count in
                    addValues(
                        target + position * channels, source + row * patch + kernelIndex * channels,
                        count: count * channels)
                }
            }
        }
        return gradient
    }
}
