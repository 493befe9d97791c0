/// The geometry max and average pooling share: a window slid over each channel on its own.
struct PoolingGeometry: Sendable, Equatable {
    let input: FeatureMapShape
    let output: FeatureMapShape
    let window: Window2D

    /// Padding as wide as the dilated kernel would let a window hold nothing but padding.
    init(name: String, input: FeatureMapShape, window: Window2D) throws(LayerShapeError) {
        let input = try input.validated(layer: name, role: "input")
        let (height, width) = try window.outputSize(layer: name, input: input)
        let vertical = max(window.padding.top, window.padding.bottom)
        let horizontal = max(window.padding.left, window.padding.right)
        guard vertical < window.extentHeight, horizontal < window.extentWidth else {
            throw LayerShapeError(
                layer: name,
                reason: "its padding (\(vertical) rows, \(horizontal) columns) must be smaller than its kernel "
                    + "\(window.extentHeight)×\(window.extentWidth)")
        }
        self.input = input
        self.window = window
        self.output = FeatureMapShape(height: height, width: width, channels: input.channels)
    }

    /// Calls `body(outputPosition, inputPosition)` for every output position of the batch and every
    /// window position inside the input; positions count map cells (multiply by channels for offsets).
    func forEachWindowPosition(batch: Int, _ body: (Int, Int) -> Void) {
        window.forEachTap(input: input, output: output, batch: batch) { outputPosition, _, inputPosition in
            body(outputPosition, inputPosition)
        }
    }
}
