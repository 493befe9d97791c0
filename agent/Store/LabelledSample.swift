/// One training example as the agent stores it: raw features and the label text it arrived with.
///
/// Labels stay text so samples survive a model change; training maps them through the manifest.
public struct LabelledSample: Sendable, Equatable {
    public var features: [Float]
    public var label: String

    public init(features: [Float], label: String) {
        self.features = features
        self.label = label
    }
}
