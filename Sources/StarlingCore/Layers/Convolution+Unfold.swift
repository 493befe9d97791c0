extension Convolution {
    /// Calls `body(row, kernelIndex, inputOffset)` for every (output row, in-bounds kernel position)
    /// pair, with the offset of the input position's first channel in the batch.
    private func forEachWindowPosition(batch: Int, _ body: (Int, Int, Int) -> Void) {
        window.forEachTap(input: input, output: output, batch: batch) { row, kernelIndex, inputPosition in
            body(row, kernelIndex, inputPosition * input.channels)
        }
    }

    /// im2col: one row per output position, the window's values in (kernelY, kernelX, channel)
    /// order, zeros where the window covers padding.
    func unfold(_ values: [Float], batch: Int) -> [Float] {
        let channels = input.channels
        let patch = patchSize
        var columns = [Float](repeating: 0, count: batch * output.height * output.width * patch)
        values.withUnsafeBufferPointer { source in
            columns.withUnsafeMutableBufferPointer { columns in
                forEachWindowPosition(batch: batch) { row, kernelIndex, inputOffset in
                    _ = columns.slice(row * patch + kernelIndex * channels, channels)
                        .update(fromContentsOf: source.slice(inputOffset, channels))
                }
            }
        }
        return columns
    }

    /// col2im: adds each unfolded row's gradient back onto the input positions it was read from.
    func fold(_ columnGradient: [Float], batch: Int) -> [Float] {
        let channels = input.channels
        let patch = patchSize
        var gradient = [Float](repeating: 0, count: batch * input.count)
        columnGradient.withUnsafeBufferPointer { columns in
            gradient.withUnsafeMutableBufferPointer { gradient in
                forEachWindowPosition(batch: batch) { row, kernelIndex, inputOffset in
                    let source = row * patch + kernelIndex * channels
                    for channel in 0..<channels {
                        gradient[inputOffset + channel] += columns[source + channel]
                    }
                }
            }
        }
        return gradient
    }
}
