extension Convolution {
    /// Visits every (output row, kernel position) pair whose input position is inside the map:
    /// `body(row, kernelIndex, inputOffset)` with the offset of the input position's first channel
    /// in the batch. Positions in the padding are skipped (they read zeros and take no gradient).
    private func forEachWindowPosition(batch: Int, _ body: (Int, Int, Int) -> Void) {
        let kernelPositions = window.kernelHeight * window.kernelWidth
        var row = 0
        for example in 0..<batch {
            let exampleOffset = example * input.count
            for outputY in 0..<output.height {
                for outputX in 0..<output.width {
                    for kernelIndex in 0..<kernelPositions {
                        let kernelY = kernelIndex / window.kernelWidth
                        let kernelX = kernelIndex % window.kernelWidth
                        let inputY =
                            outputY * window.strideHeight - window.padding.top + kernelY * window.dilationHeight
                        let inputX = outputX * window.strideWidth - window.padding.left + kernelX * window.dilationWidth
                        guard inputY >= 0, inputY < input.height, inputX >= 0, inputX < input.width else { continue }
                        body(row, kernelIndex, exampleOffset + (inputY * input.width + inputX) * input.channels)
                    }
                    row += 1
                }
            }
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
                    columns.slice(row * patch + kernelIndex * channels, channels)
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
