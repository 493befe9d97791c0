/// Zero padding around a feature map, possibly different on each side (ONNX's `pads` are; a
/// symmetric PyTorch padding is the same number four times).
public struct Padding2D: Sendable, Equatable, Hashable, Codable {
    public var top: Int
    public var left: Int
    public var bottom: Int
    public var right: Int

    public init(top: Int, left: Int, bottom: Int, right: Int) {
        self.top = top
        self.left = left
        self.bottom = bottom
        self.right = right
    }

    /// The same padding on all four sides.
    public init(_ all: Int) {
        self.init(top: all, left: all, bottom: all, right: all)
    }

    public static let none = Padding2D(0)
}

/// The window a convolution or a pooling layer slides over its input: kernel, stride, padding and
/// dilation. Output position (oy, ox) reads input rows oy·strideHeight − top + ky·dilationHeight and
/// columns ox·strideWidth − left + kx·dilationWidth; positions outside the input are padding.
public struct Window2D: Sendable, Equatable, Hashable, Codable {
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int
    public var padding: Padding2D
    public var dilationHeight: Int
    public var dilationWidth: Int

    public init(
        kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
        padding: Padding2D = .none, dilationHeight: Int = 1, dilationWidth: Int = 1
    ) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padding = padding
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
    }

    /// A 1-D window over a signal laid out as a map of height 1: kernel 1×`kernel`.
    public static func oneDimensional(
        kernel: Int, stride: Int = 1, paddingLeft: Int = 0, paddingRight: Int = 0, dilation: Int = 1
    )
        -> Window2D
    {
        Window2D(
            kernelHeight: 1, kernelWidth: kernel, strideWidth: stride,
            padding: Padding2D(top: 0, left: paddingLeft, bottom: 0, right: paddingRight), dilationWidth: dilation)
    }

    /// The kernel's extent once dilated.
    var extentHeight: Int { dilationHeight * (kernelHeight - 1) + 1 }
    var extentWidth: Int { dilationWidth * (kernelWidth - 1) + 1 }

    /// The output's height and width over `input`, or an error naming `layer` when a size is below 1
    /// or above the bounds, or the dilated kernel is larger than the padded input.
    func outputSize(layer: String, input: FeatureMapShape) throws(LayerShapeError) -> (height: Int, width: Int) {
        let bound = FeatureMapShape.maximumSide
        let positive = [
            ("kernel height", kernelHeight), ("kernel width", kernelWidth), ("stride height", strideHeight),
            ("stride width", strideWidth), ("dilation height", dilationHeight), ("dilation width", dilationWidth),
        ]
        for (name, value) in positive where value < 1 || value > bound {
            throw LayerShapeError(layer: layer, reason: "its \(name) is \(value); it must be between 1 and \(bound)")
        }
        let sides = [
            ("top", padding.top), ("left", padding.left), ("bottom", padding.bottom), ("right", padding.right),
        ]
        for (name, value) in sides where value < 0 || value > bound {
            throw LayerShapeError(
                layer: layer, reason: "its \(name) padding is \(value); it must be between 0 and \(bound)")
        }
        let paddedHeight = input.height + padding.top + padding.bottom
        let paddedWidth = input.width + padding.left + padding.right
        guard extentHeight <= paddedHeight, extentWidth <= paddedWidth else {
            throw LayerShapeError(
                layer: layer,
                reason: "its kernel \(kernelHeight)×\(kernelWidth) (\(extentHeight)×\(extentWidth) dilated) is larger "
                    + "than its input \(input.height)×\(input.width) (\(paddedHeight)×\(paddedWidth) padded)")
        }
        return ((paddedHeight - extentHeight) / strideHeight + 1, (paddedWidth - extentWidth) / strideWidth + 1)
    }
}

extension Window2D {
    /// Calls `body(outputPosition, kernelIndex, inputPosition)` for every output position of `batch`
    /// maps and every kernel position (ky·kernelWidth + kx) whose input position lies inside the map.
    /// Positions count map cells across the batch: multiply by the channels for element offsets.
    /// Positions in the padding are skipped: they read zeros and take no gradient.
    func forEachTap(input: FeatureMapShape, output: FeatureMapShape, batch: Int, _ body: (Int, Int, Int) -> Void) {
        var outputPosition = 0
        for example in 0..<batch {
            for outputY in 0..<output.height {
                for outputX in 0..<output.width {
                    for kernelY in 0..<kernelHeight {
                        let inputY = outputY * strideHeight - padding.top + kernelY * dilationHeight
                        guard inputY >= 0, inputY < input.height else { continue }
                        for kernelX in 0..<kernelWidth {
                            let inputX = outputX * strideWidth - padding.left + kernelX * dilationWidth
                            guard inputX >= 0, inputX < input.width else { continue }
                            body(
                                outputPosition, kernelY * kernelWidth + kernelX,
                                (example * input.height + inputY) * input.width + inputX)
                        }
                    }
                    outputPosition += 1
                }
            }
        }
    }

    /// Like ``forEachTap(input:output:batch:_:)``, but one call per run of horizontally adjacent
    /// in-bounds taps: `body(outputPosition, firstKernelIndex, firstInputPosition, count)`. With
    /// dilation 1 in width a kernel row's in-bounds taps are one run (adjacent in the input too);
    /// otherwise every tap is a run of one.
    func forEachTapRun(
        input: FeatureMapShape, output: FeatureMapShape, batch: Int, _ body: (Int, Int, Int, Int) -> Void
    ) {
        guard dilationWidth == 1 else {
            forEachTap(input: input, output: output, batch: batch) { body($0, $1, $2, 1) }
            return
        }
        var outputPosition = 0
        for example in 0..<batch {
            for outputY in 0..<output.height {
                for outputX in 0..<output.width {
                    let firstX = outputX * strideWidth - padding.left
                    let start = min(max(-firstX, 0), kernelWidth)
                    let end = max(min(input.width - firstX, kernelWidth), start)
                    if end > start {
                        for kernelY in 0..<kernelHeight {
                            let inputY = outputY * strideHeight - padding.top + kernelY * dilationHeight
                            guard inputY >= 0, inputY < input.height else { continue }
                            body(
                                outputPosition, kernelY * kernelWidth + start,
                                (example * input.height + inputY) * input.width + firstX + start, end - start)
                        }
                    }
                    outputPosition += 1
                }
            }
        }
    }
}
