/// The largest model a component agrees to build: at most so many parameters and layers, and for a
/// layer network at most so many values in one example's forward pass.
///
/// Exists because whoever writes an architecture chooses how much memory building it takes
/// (`65536-65536-10` is 4.3 billion parameters, 17 GB of `Float`). Checking the architecture against
/// a limit before anything is allocated from it turns such a request into a refusal instead of an
/// aborted process. The aggregator applies its configured limit to every model it creates or imports.
public struct ModelSizeLimit: Sendable, Equatable {
    /// The most weights and biases a model may have.
    public var maximumParameters: Int
    /// The most layers with weights a model may have.
    public var maximumLayers: Int
    /// The most values one example's forward pass may hold (layer outputs and unfolded patches).
    public var maximumActivations: Int

    /// 16 million parameters (64 MB of `Float`, the largest artifact the aggregator accepts), 32
    /// layers with weights, and 4 million values per example (16 MB of `Float`: a training batch of
    /// 32 then stays within 512 MB).
    public static let standard = ModelSizeLimit(
        maximumParameters: 16_000_000, maximumLayers: 32, maximumActivations: 4_000_000)

    public init(maximumParameters: Int, maximumLayers: Int, maximumActivations: Int = 4_000_000) {
        self.maximumParameters = maximumParameters
        self.maximumLayers = maximumLayers
        self.maximumActivations = maximumActivations
    }

    /// Throws ``ModelError/tooManyLayers(count:limit:)`` or ``ModelError/tooManyParameters(architecture:count:limit:)``
    /// when `architecture` exceeds the limit; allocates nothing.
    public func check(_ architecture: ModelArchitecture) throws(ModelError) {
        guard architecture.layerCount <= maximumLayers else {
            throw .tooManyLayers(count: architecture.layerCount, limit: maximumLayers)
        }
        if let layout = architecture.network, layout.activationCount > maximumActivations {
            throw .tooManyActivations(count: layout.activationCount, limit: maximumActivations)
        }
        let parameters = architecture.parameterCount
        guard parameters <= maximumParameters else {
            throw .tooManyParameters(architecture: architecture, count: parameters, limit: maximumParameters)
        }
    }
}
