import Quantization
import StarlingCore

/// The int8 artifact of a registered version: the fp32 bundle quantized post-training with dynamic
/// (per-row, run-time) activation scales, encoded as an int8 safetensors bundle with the same manifest.
struct Int8Artifact: Sendable {
    let bundle: Int8Bundle

    /// Quantizes `bundle`; a model the quantizer cannot handle is 400 `invalid_model`.
    init(quantizing bundle: ModelBundle) throws(APIError) {
        do {
            self.bundle = try Int8Bundle(quantizing: bundle)
        } catch {
            throw .badRequest(.invalidModel, "the model cannot be quantized to int8: \(error)")
        }
    }

    /// The encoded artifact, its manifest naming the registered model and version.
    func encoded(as manifest: ModelManifest) -> [UInt8] {
        var quantized = bundle
        quantized.manifest = manifest
        return quantized.encoded()
    }
}
