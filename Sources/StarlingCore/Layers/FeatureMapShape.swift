/// The height, width and channels of one example's feature map. Convolutional layers keep their
/// activations channels-last (NHWC, batch-major): element (n, y, x, c) of a batch sits at
/// ((n·height + y)·width + x)·channels + c, so that each output position of a convolution is one
/// row of a matrix product, and a 1-D signal of length L is a map of height 1 and width L.
public struct FeatureMapShape: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The most elements one example's feature map may hold (2^26, 256 MiB of floats): bounds every
    /// product of sizes a model description can make, so none overflows.
    public static let maximumElementCount = 1 << 26
    /// The largest height, width or channel count.
    public static let maximumSide = 1 << 16

    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Elements of one example.
    public var count: Int { height * width * channels }

    public var description: String { "\(height)×\(width)×\(channels)" }

    /// Refuses sizes below 1 or above the bounds, naming `layer`.
    func validated(layer: String, role: String) throws(LayerShapeError) -> FeatureMapShape {
        for (name, value) in [("height", height), ("width", width), ("channels", channels)] {
            guard value >= 1 else {
                throw LayerShapeError(layer: layer, reason: "its \(role) \(name) is \(value); sizes must be at least 1")
            }
            guard value <= Self.maximumSide else {
                throw LayerShapeError(
                    layer: layer, reason: "its \(role) \(name) is \(value), more than the \(Self.maximumSide) allowed")
            }
        }
        let (product, overflow) = (height * width).multipliedReportingOverflow(by: channels)
        guard !overflow, product <= Self.maximumElementCount else {
            throw LayerShapeError(
                layer: layer,
                reason: "its \(role) \(self) holds more than the \(Self.maximumElementCount) elements allowed")
        }
        return self
    }
}
