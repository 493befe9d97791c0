internal import CStarlingInt8
import StarlingCore

/// Runs an int8 model with preallocated scratch: no allocation per call on the hot path of a dense
/// model (a layer network runs through ``Int8LayerNetwork``, after the preprocessing).
///
/// The input is preprocessed first: folded into the input quantization when the preprocessing is
/// affine, otherwise written into preallocated scratch. Per layer: int8 GEMM with int32 accumulation
/// on the chosen kernel path, then one fused epilogue
/// (dequantise with s_in·s_w, add bias, hidden activation, requantise for the next layer); the last
/// layer is dequantised to float logits and softmaxed. Activations are quantized per row at run time
/// unless the bundle carries calibrated static scales.
///
/// - Important: a predictor owns mutable scratch; use one per thread (it is not `Sendable`).
public final class Int8Predictor {
    /// The kernel path this predictor runs.
    public let path: Int8KernelPath
    /// Rows processed per kernel call; larger inputs are processed in chunks of this size.
    public let maximumRows: Int
    /// Input width.
    public let inputSize: Int
    /// Output width (number of classes).
    public let outputSize: Int

    private let runtime: Int8Runtime
    /// A layer network's buffers; nil for a dense model, which runs in the scratch below.
    private let networkWorkspace: Int8LayerNetwork.Workspace?
    private let activations: UnsafeMutablePointer<Int8>
    private let accumulators: UnsafeMutablePointer<Int32>
    private let rowScales: UnsafeMutablePointer<Float>
    private let rowScratch: UnsafeMutablePointer<Float>
    /// Preprocessed input rows, used when the preprocessing is not folded into quantization.
    private let inputScratch: UnsafeMutablePointer<Float>

    /// Prepares `bundle` for `path` (default: the bundle's best path) with scratch for `maximumRows` rows.
    public convenience init(bundle: Int8Bundle, path: Int8KernelPath? = nil, maximumRows: Int = 64) {
        let chosen = path ?? bundle.runtime.path
        self.init(
            runtime: chosen == bundle.runtime.path ? bundle.runtime : bundle.runtime(for: chosen),
            maximumRows: maximumRows)
    }

    init(runtime: Int8Runtime, maximumRows: Int) {
        precondition(runtime.path.isSupported, "kernel path \(runtime.path) is not supported on this machine")
        precondition(maximumRows > 0, "maximumRows must be positive")
        self.runtime = runtime
        self.path = runtime.path
        self.maximumRows = maximumRows
        let width: Int
        let inputScratchSize: Int
        switch runtime {
        case .dense(let model):
            (inputSize, outputSize, width) = (model.inputSize, model.outputSize, model.maximumWidth)
            inputScratchSize = model.preprocessing == nil ? 1 : maximumRows * model.inputSize
            networkWorkspace = nil
        case .network(let network, _):
            (inputSize, outputSize, width) = (network.layout.inputSize, network.layout.classes, 1)
            inputScratchSize = maximumRows * network.layout.inputSize
            networkWorkspace = Int8LayerNetwork.Workspace(network: network, maximumRows: maximumRows)
        }
        activations = .allocate(capacity: maximumRows * width)
        accumulators = .allocate(capacity: maximumRows * width)
        rowScales = .allocate(capacity: maximumRows)
        rowScratch = .allocate(capacity: width)
        inputScratch = .allocate(capacity: inputScratchSize)
    }

    deinit {
        activations.deallocate()
        accumulators.deallocate()
        rowScales.deallocate()
        rowScratch.deallocate()
        inputScratch.deallocate()
    }

    /// Raw features (`rows × inputSize`, row-major) → probabilities (`rows × outputSize`) written to
    /// `probabilities`; the manifest's preprocessing is applied on the fly.
    public func predict(
        features: UnsafeBufferPointer<Float>, rows: Int, probabilities: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(rows >= 0, "rows must be non-negative")
        precondition(features.count >= rows * inputSize, "features hold fewer than rows × inputSize values")
        precondition(probabilities.count >= rows * outputSize, "probabilities hold fewer than rows × outputSize values")
        guard rows > 0, let input = features.baseAddress, let output = probabilities.baseAddress else { return }
        var start = 0
        while start < rows {
            let count = min(maximumRows, rows - start)
            run(input + start * inputSize, rows: count, into: output + start * outputSize)
            start += count
        }
    }

    /// Raw features (`rows × inputSize`) → probabilities (`rows × outputSize`).
    public func predict(features: [Float], rows: Int) -> [Float] {
        precondition(features.count == rows * inputSize, "features.count must equal rows × inputSize")
        return [Float](unsafeUninitializedCapacity: rows * outputSize) { buffer, initialized in
            features.withUnsafeBufferPointer { input in
                predict(features: input, rows: rows, probabilities: buffer)
            }
            initialized = rows * outputSize
        }
    }

    private func run(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        switch runtime {
        case .dense(let model): run(model, input, rows: rows, into: output)
        case .network(let network, _):
            guard let networkWorkspace else { preconditionFailure("a layer network's predictor has its workspace") }
            network.run(preprocessed(input, rows: rows), rows: rows, workspace: networkWorkspace, into: output)
        }
    }

    private func run(
        _ model: PackedInt8Model, _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>
    ) {
        let m = Int32(rows)
        let layers = model.layers
        let first = layers[0]
        starling_i8_quantize_rows(
            m, first.inputs, preprocessed(input, rows: rows), model.mean, model.inverseStd, first.inputScale,
            activations, rowScales)
        for index in layers.indices {
            let layer = layers[index]
            starling_i8_gemm(path.cValue, m, layer.outputs, layer.inputs, activations, layer.packed, accumulators)
            if index == layers.count - 1 {
                starling_i8_dequantize(
                    m, layer.outputs, accumulators, rowScales, layer.weightScales, layer.bias, layer.activation, output)
                starling_i8_softmax_rows(m, layer.outputs, output)
            } else {
                starling_i8_requantize(
                    m, layer.outputs, accumulators, rowScales, layer.weightScales, layer.bias, layer.activation,
                    layers[index + 1].inputScale, rowScratch, activations, rowScales)
            }
        }
    }

    /// The preprocessing applied into the input scratch: a dense model's when it is not folded into
    /// quantization, a layer network's always.
    private var unfoldedPreprocessing: Preprocessing? {
        switch runtime {
        case .dense(let model): model.preprocessing
        case .network(_, let preprocessing): preprocessing
        }
    }

    /// `input` itself when the preprocessing is folded into quantization (or is the identity), else
    /// the preprocessed rows in the input scratch.
    private func preprocessed(_ input: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let preprocessing = unfoldedPreprocessing else { return input }
        let count = rows * inputSize
        preprocessing.apply(
            UnsafeBufferPointer(start: input, count: count),
            into: UnsafeMutableBufferPointer(start: inputScratch, count: count))
        return UnsafePointer(inputScratch)
    }

    /// The float rows the first layer quantizes for `features` (at most `maximumRows` rows): the
    /// preprocessed scratch, or, when an affine preprocessing is folded, (x − mean)·inverseStd as the
    /// quantization kernel computes it. Lets tests check that int8 sees what ``Preprocessing`` gives.
    func quantizerInput(features: [Float], rows: Int) -> [Float] {
        precondition(rows <= maximumRows && features.count == rows * inputSize, "rows × inputSize features")
        return features.withUnsafeBufferPointer { buffer -> [Float] in
            guard let base = buffer.baseAddress else { return [] }
            let input = UnsafeBufferPointer(start: preprocessed(base, rows: rows), count: buffer.count)
            guard case .dense(let model) = runtime, let mean = model.mean, let inverseStd = model.inverseStd else {
                return Array(input)
            }
            return input.indices.map { (input[$0] - mean[$0 % inputSize]) * inverseStd[$0 % inputSize] }
        }
    }
}
