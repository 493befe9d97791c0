public import StarlingCore

/// Post-training int8 quantization of a ModelBundle (an MLP, a logistic regression or a layer
/// network), and the runtime model it yields.
///
/// Exists so devices can answer phase-one predictions with 4× smaller weights and integer kernels:
/// weights are symmetric per output channel (Jacob et al. 2018; Krishnamoorthi 2018), activations
/// are quantized per row at run time (dynamic) or, for dense models, with scales calibrated on
/// sample data (static); products accumulate in int32, and bias, hidden activation and
/// requantisation are fused per layer. The manifest (labels, preprocessing, architecture) is the
/// fp32 bundle's.
public struct Int8Bundle: Sendable {
    /// Metadata key of the activation scheme, "dynamic" or "static".
    public static let quantizationMetadataKey = "starling.quantization"

    /// What the model is (same as the fp32 bundle's). Changing the preprocessing or the
    /// architecture re-packs the runtime model.
    public var manifest: ModelManifest {
        didSet {
            if manifest.preprocessing != oldValue.preprocessing || manifest.architecture != oldValue.architecture {
                runtime = runtime(for: runtime.path)
            }
        }
    }
    /// Dynamic or calibrated (static) activation scales.
    public let activationQuantization: ActivationQuantization
    /// The quantized weights.
    public let weights: Int8Weights
    /// The weights packed for the best kernel path at creation.
    private(set) var runtime: Int8Runtime

    /// Dynamic (per-row activation scales at run time) by default; static with calibration data
    /// (raw features; each layer's input scale is max|input| / 127 over the calibration rows, computed
    /// with the fp32 model), which only dense models take.
    public init(quantizing bundle: ModelBundle, calibration: Dataset? = nil) throws(QuantizationError) {
        switch bundle.model {
        case .dense(let model):
            var layers = model.namedTensorsByLayer.map { weight, bias in
                Int8Layer(weight: PerChannelInt8(weight: weight), bias: bias.values, inputScale: nil)
            }
            if let calibration {
                let scales = try Int8Calibration.inputScales(
                    of: model, preprocessing: bundle.manifest.preprocessing, on: calibration)
                for index in layers.indices { layers[index].inputScale = scales[index] }
            }
            self.init(manifest: bundle.manifest, weights: .dense(layers))
        case .network(let network):
            guard calibration == nil else { throw .calibrationNeedsDenseModel }
            self.init(manifest: bundle.manifest, weights: .network(QuantizedNetwork(network: network)))
        }
    }

    /// Assembles a bundle from quantized weights; all dense layers are static or none is.
    init(manifest: ModelManifest, weights: Int8Weights) {
        self.manifest = manifest
        self.weights = weights
        switch weights {
        case .dense(let layers):
            activationQuantization = layers.allSatisfy { $0.inputScale != nil } ? .calibrated : .dynamic
        case .network:
            activationQuantization = .dynamic
        }
        runtime = Self.runtime(weights, manifest: manifest, path: .best)
    }

    /// Raw features (rows × inputSize) → probabilities (rows × outputSize), preprocessing applied, on
    /// the best kernel path (or `path`). Allocates scratch per call: keep an `Int8Predictor` for
    /// repeated calls.
    public func predict(features: [Float], rows: Int, path: Int8KernelPath? = nil) -> [Float] {
        Int8Predictor(bundle: self, path: path, maximumRows: max(1, min(rows, 256)))
            .predict(features: features, rows: rows)
    }

    /// The weights packed for another kernel path.
    func runtime(for path: Int8KernelPath) -> Int8Runtime {
        Self.runtime(weights, manifest: manifest, path: path)
    }

    private static func runtime(_ weights: Int8Weights, manifest: ModelManifest, path: Int8KernelPath) -> Int8Runtime {
        switch weights {
        case .dense(let layers):
            .dense(
                PackedInt8Model(
                    layers: layers, hiddenActivation: manifest.architecture.dense?.hiddenActivation ?? .relu,
                    preprocessing: manifest.preprocessing, path: path))
        case .network(let network):
            .network(Int8LayerNetwork(quantized: network, path: path), preprocessing: manifest.preprocessing)
        }
    }
}

/// An int8 model's weights: dense layers, or a quantized layer network.
public enum Int8Weights: Sendable, Equatable {
    case dense([Int8Layer])
    case network(QuantizedNetwork)
}

/// The weights packed for one kernel path, ready to run.
enum Int8Runtime: Sendable {
    case dense(PackedInt8Model)
    case network(Int8LayerNetwork, preprocessing: Preprocessing)

    var path: Int8KernelPath {
        switch self {
        case .dense(let model): model.path
        case .network(let network, _): network.path
        }
    }
}

extension Int8Bundle: Equatable {
    /// Same manifest and quantized weights (the packing for a kernel path is not compared).
    public static func == (lhs: Int8Bundle, rhs: Int8Bundle) -> Bool {
        lhs.manifest == rhs.manifest && lhs.weights == rhs.weights
    }
}

extension MLP {
    /// `(weight [out, in], bias [out])` per layer, in layer order.
    var namedTensorsByLayer: [(weight: Tensor, bias: Tensor)] {
        let tensors = namedTensors
        return stride(from: 0, to: tensors.count, by: 2).map { (tensors[$0].tensor, tensors[$0 + 1].tensor) }
    }
}
