/// A layer whose description does not fit its input: sizes below 1, a kernel larger than its
/// padded input, channels that do not divide into groups. The message names the layer and the
/// shape that does not fit, so a model description can be corrected without guessing.
public struct LayerShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The layer's name in its model description.
    public var layer: String
    /// What does not fit, as a sentence fragment.
    public var reason: String

    public init(layer: String, reason: String) {
        self.layer = layer
        self.reason = reason
    }

    public var description: String { "layer '\(layer)': \(reason)" }
}
