public import StarlingCore

/// Post-training int8 quantization of an MLP/logistic ModelBundle, and the runtime model it yields.
///
/// Exists so devices can answer phase-one predictions with 4× smaller weights and integer kernels:
/// weights are symmetric per output channel (Jacob et al. 2018; Krishnamoorthi 2018), activations
/// are quantized per row at run time (dynamic) or with scales calibrated on sample data (static),
/// products accumulate in int32, and bias, hidden activation and requantisation are fused per layer.
/// The manifest (labels, preprocessing, architecture) is the fp32 bundle's.
public struct Int8Bundle: Sendable {
    /// Metadata key of the activation scheme, "dynamic" or "static".
    public static let quantizationMetadataKey = "starling.quantization"

    /// What the model is (same as the fp32 bundle's). Changing the preprocessing or hidden
    /// activation re-packs the runtime model.
    public var manifest: ModelManifest {
        didSet {
            if manifest.preprocessing != oldValue.preprocessing
                || manifest.architecture.hiddenActivation != oldValue.architecture.hiddenActivation
            {
                packed = pack(for: packed.path)
            }
        }
    }
    /// Dynamic or calibrated (static) activation scales.
    public let activationQuantization: ActivationQuantization
    /// Quantized dense layers in order.
    public let layers: [Int8Layer]
    /// The layers packed for the best kernel path at creation.
    private(set) var packed: PackedInt8Model

    /// Dynamic (per-row activation scales at run time) by default; static with calibration data
    /// (raw features; each layer's input scale is max|input| / 127 over the calibration rows, computed
    /// with the fp32 model).
    public init(quantizing bundle: ModelBundle, calibration: Dataset? = nil) throws(QuantizationError) {
        var layers = bundle.model.namedTensorsByLayer.map { weight, bias in
            Int8Layer(weight: PerChannelInt8(weight: weight), bias: bias.values, inputScale: nil)
        }
        if let calibration {
            let scales = try Int8Calibration.inputScales(of: bundle, on: calibration)
            for index in layers.indices { layers[index].inputScale = scales[index] }
        }
        self.init(manifest: bundle.manifest, layers: layers)
    }

    /// Assembles a bundle from quantized layers; all layers are static or none is.
    init(manifest: ModelManifest, layers: [Int8Layer]) {
        self.manifest = manifest
        self.layers = layers
        activationQuantization = layers.allSatisfy { $0.inputScale != nil } ? .calibrated : .dynamic
        packed = PackedInt8Model(
            layers: layers, hiddenActivation: manifest.architecture.hiddenActivation,
            preprocessing: manifest.preprocessing, path: .best)
    }

    /// Raw features (rows × inputSize) → probabilities (rows × outputSize), preprocessing applied, on
    /// the best kernel path (or `path`). Allocates scratch per call: keep an `Int8Predictor` for
    /// repeated calls.
    public func predict(features: [Float], rows: Int, path: Int8KernelPath? = nil) -> [Float] {
        Int8Predictor(bundle: self, path: path, maximumRows: max(1, min(rows, 256)))
            .predict(features: features, rows: rows)
    }

    /// The layers packed for another kernel path.
    func pack(for path: Int8KernelPath) -> PackedInt8Model {
        PackedInt8Model(
            layers: layers, hiddenActivation: manifest.architecture.hiddenActivation,
            preprocessing: manifest.preprocessing, path: path)
    }
}

extension Int8Bundle: Equatable {
    /// Same manifest and quantized layers (the packing for a kernel path is not compared).
    public static func == (lhs: Int8Bundle, rhs: Int8Bundle) -> Bool {
        lhs.manifest == rhs.manifest && lhs.layers == rhs.layers
    }
}

extension MLP {
    /// `(weight [out, in], bias [out])` per layer, in layer order.
    var namedTensorsByLayer: [(weight: Tensor, bias: Tensor)] {
        let tensors = namedTensors
        return stride(from: 0, to: tensors.count, by: 2).map { (tensors[$0].tensor, tensors[$0 + 1].tensor) }
    }
}
