internal import CStarlingInt8
import StarlingCore

/// An int8 model laid out for one kernel path: packed weights plus contiguous scales and biases,
/// ready to hand to the C kernels without touching Swift arrays on the hot path.
///
/// Immutable after `init` and freed in `deinit`, hence safe to share between threads.
final class PackedInt8Model: @unchecked Sendable {
    /// One packed layer; pointers are owned by the model.
    struct Layer {
        let inputs: Int32
        let outputs: Int32
        let packed: UnsafeMutableRawPointer
        let weightScales: UnsafeMutablePointer<Float>
        let bias: UnsafeMutablePointer<Float>
        /// Static input scale, or 0 for a per-row (dynamic) scale.
        let inputScale: Float
        let activation: starling_i8_activation
    }

    let path: Int8KernelPath
    let layers: [Layer]
    /// An affine preprocessing, (x − mean)·inverseStd, folded into input quantization; both `nil`
    /// when the preprocessing is the identity or not affine.
    let mean: UnsafeMutablePointer<Float>?
    let inverseStd: UnsafeMutablePointer<Float>?
    /// A preprocessing that is not affine (clipped z-scores, min–max, log1p): predictors apply it into
    /// their own scratch before quantizing; `nil` when it is folded into `mean`/`inverseStd` instead.
    /// The fold computes the same `Float` operations for finite results; only inputs whose transform
    /// overflows or is not finite, which prediction APIs reject, would differ.
    let preprocessing: Preprocessing?
    let inputSize: Int
    let outputSize: Int
    /// Widest layer input or output: sizes the scratch of a predictor.
    let maximumWidth: Int

    init(
        layers int8Layers: [Int8Layer], hiddenActivation: HiddenActivation, preprocessing: Preprocessing,
        path: Int8KernelPath
    ) {
        precondition(!int8Layers.isEmpty, "a model has at least one layer")
        self.path = path
        layers = int8Layers.enumerated().map { index, layer in
            let packedSize = starling_i8_packed_size(path.cValue, Int32(layer.outputs), Int32(layer.inputs))
            let packed = UnsafeMutableRawPointer.allocate(byteCount: packedSize, alignment: 64)
            layer.weight.values.withUnsafeBufferPointer { values in
                starling_i8_pack(path.cValue, Int32(layer.outputs), Int32(layer.inputs), values.baseAddress, packed)
            }
            let isOutput = index == int8Layers.count - 1
            return Layer(
                inputs: Int32(layer.inputs), outputs: Int32(layer.outputs), packed: packed,
                weightScales: Self.copy(layer.weight.scales), bias: Self.copy(layer.bias),
                inputScale: layer.inputScale ?? 0,
                activation: isOutput ? STARLING_I8_ACT_IDENTITY : Self.activation(hiddenActivation))
        }
        if let affine = preprocessing.affineForm {
            self.preprocessing = nil
            mean = affine.isIdentity ? nil : Self.copy(affine.mean)
            inverseStd = affine.isIdentity ? nil : Self.copy(affine.scale)
        } else {
            self.preprocessing = preprocessing
            mean = nil
            inverseStd = nil
        }
        inputSize = int8Layers[0].inputs
        outputSize = int8Layers[int8Layers.count - 1].outputs
        maximumWidth = int8Layers.reduce(0) { max($0, $1.inputs, $1.outputs) }
    }

    deinit {
        for layer in layers {
            layer.packed.deallocate()
            layer.weightScales.deallocate()
            layer.bias.deallocate()
        }
        mean?.deallocate()
        inverseStd?.deallocate()
    }

    static func activation(_ hidden: HiddenActivation) -> starling_i8_activation {
        switch hidden {
        case .relu: STARLING_I8_ACT_RELU
        case .sigmoid: STARLING_I8_ACT_SIGMOID
        case .tanh: STARLING_I8_ACT_TANH
        }
    }

    private static func copy(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(values.count, 1))
        _ = UnsafeMutableBufferPointer(start: pointer, count: values.count).initialize(from: values)
        return pointer
    }
}
