/// The largest model a component agrees to build: at most so many parameters and dense layers.
///
/// Exists because whoever writes an architecture chooses how much memory building it takes
/// (`65536-65536-10` is 4.3 billion parameters, 17 GB of `Float`). Checking the architecture against
/// a limit before anything is allocated from it turns such a request into a refusal instead of an
/// aborted process. The aggregator applies its configured limit to every model it creates or imports.
public struct ModelSizeLimit: Sendable, Equatable {
    /// The most weights and biases a model may have.
    public var maximumParameters: Int
    /// The most dense layers a model may have.
    public var maximumLayers: Int

    /// 16 million parameters (64 MB of `Float`, the largest artifact the aggregator accepts) and 32 layers.
    public static let standard = ModelSizeLimit(maximumParameters: 16_000_000, maximumLayers: 32)

    public init(maximumParameters: Int, maximumLayers: Int) {
        self.maximumParameters = maximumParameters
        self.maximumLayers = maximumLayers
    }

    /// Throws ``ModelError/tooManyLayers(count:limit:)`` or ``ModelError/tooManyParameters(architecture:count:limit:)``
    /// when `architecture` exceeds the limit; allocates nothing.
    public func check(_ architecture: ModelArchitecture) throws(ModelError) {
        guard architecture.layerCount <= maximumLayers else {
            throw .tooManyLayers(count: architecture.layerCount, limit: maximumLayers)
        }
        let parameters = architecture.parameterCount
        guard parameters <= maximumParameters else {
            throw .tooManyParameters(architecture: architecture, count: parameters, limit: maximumParameters)
        }
    }
}
