/// A model of either kind its architecture names: a dense network (``MLP``) or a layer network
/// (``LayerNetwork``).
///
/// Exists so that bundles, rounds, aggregation and training handle any model as an architecture
/// and one flat parameter vector, and reach the kind's own forward and backward passes through one
/// value: a manifest's architecture decides which is built, so a bundle never pairs a layer list
/// with dense weights.
public enum Model: Sendable, Equatable {
    case dense(MLP)
    case network(LayerNetwork)

    /// Random initialisation from `seed`, as the kind's own initialiser does it.
    public init(architecture: ModelArchitecture, seed: UInt64) {
        switch architecture.form {
        case .dense: self = .dense(MLP(architecture: architecture, seed: seed))
        case .network(let layout): self = .network(LayerNetwork(layout: layout, seed: seed))
        }
    }

    /// Wraps a flat parameter vector; its length must be the architecture's parameter count.
    public init(architecture: ModelArchitecture, parameters: [Float]) throws(ModelError) {
        switch architecture.form {
        case .dense: self = .dense(try MLP(architecture: architecture, parameters: parameters))
        case .network(let layout): self = .network(try LayerNetwork(layout: layout, parameters: parameters))
        }
    }

    /// Rebuilds a model from named tensors; names must be exactly the architecture's and shapes must match.
    public init(architecture: ModelArchitecture, namedTensors: [String: Tensor]) throws(ModelError) {
        switch architecture.form {
        case .dense: self = .dense(try MLP(architecture: architecture, namedTensors: namedTensors))
        case .network(let layout): self = .network(try LayerNetwork(layout: layout, namedTensors: namedTensors))
        }
    }

    /// The architecture the parameters are laid out for.
    public var architecture: ModelArchitecture {
        switch self {
        case .dense(let model): model.architecture
        // A layout was checked when it was made, so wrapping it again cannot fail.
        case .network(let network): ModelArchitecture(checked: network.layout)
        }
    }

    /// Per-layer tensors in layer order, with their on-disk names.
    public var namedTensors: [(name: String, tensor: Tensor)] {
        switch self {
        case .dense(let model): model.namedTensors
        case .network(let network): network.namedTensors
        }
    }
}

extension Model: TrainableModel {
    public var parameters: [Float] {
        get {
            switch self {
            case .dense(let model): model.parameters
            case .network(let network): network.parameters
            }
        }
        set {
            switch self {
            case .dense(var model):
                model.parameters = newValue
                self = .dense(model)
            case .network(var network):
                network.parameters = newValue
                self = .network(network)
            }
        }
    }

    public var inputSize: Int { inner.inputSize }
    public var classCount: Int { inner.classCount }
    public var weightRanges: [Range<Int>] { inner.weightRanges }

    public func lossAndGradient(
        features: [Float], labels: [Int], rows: Int, workspace: TrainingWorkspace = TrainingWorkspace()
    ) -> (loss: Float, gradient: [Float]) {
        inner.lossAndGradient(features: features, labels: labels, rows: rows, workspace: workspace)
    }

    public func probabilities(features: [Float], rows: Int) -> [Float] {
        inner.probabilities(features: features, rows: rows)
    }

    public func clippedGradientSum(
        features: [Float], labels: [Int], rows: Int, clipNorm: Float, scale: Float,
        addingTo initial: consuming [Float]?,
        workspace: TrainingWorkspace = TrainingWorkspace()
    ) -> (lossSum: Float, gradient: [Float], norms: [Float]) {
        switch self {
        case .dense(let model):
            model.clippedGradientSum(
                features: features, labels: labels, rows: rows, clipNorm: clipNorm, scale: scale, addingTo: initial)
        case .network(let network):
            network.clippedGradientSum(
                features: features, labels: labels, rows: rows, clipNorm: clipNorm, scale: scale, addingTo: initial,
                workspace: workspace)
        }
    }

    /// The wrapped model, for the requirements both kinds answer the same way.
    private var inner: any TrainableModel {
        switch self {
        case .dense(let model): model
        case .network(let network): network
        }
    }
}
