public import StarlingCore

/// Why a model could not be quantized or an int8 bundle could not be read.
///
/// Each case renders one sentence naming the problem, so a CLI or API layer can show it as is.
public enum QuantizationError: Error, Equatable, CustomStringConvertible {
    /// The int8 bytes are not a valid safetensors file.
    case safetensors(SafetensorsError)
    /// The manifest or weights do not form a valid model.
    case model(ModelError)
    /// The file is readable but not an int8 bundle (missing or malformed entry, named in the text).
    case invalidBundle(String)
    /// Calibration data has no rows.
    case emptyCalibration
    /// Calibration rows have a different width from the model's input.
    case calibrationWidthMismatch(expected: Int, actual: Int)
    /// Static calibration was asked for a layer network, which quantizes activations per example.
    case calibrationNeedsDenseModel

    public var description: String {
        switch self {
        case .safetensors(let error):
            "the int8 bundle is not valid safetensors: \(error)"
        case .model(let error):
            "the int8 bundle does not describe a valid model: \(error)"
        case .invalidBundle(let reason):
            "invalid int8 bundle: \(reason)"
        case .emptyCalibration:
            "calibration data for static quantization has no rows"
        case .calibrationWidthMismatch(let expected, let actual):
            "calibration data has \(actual) features, the model expects \(expected)"
        case .calibrationNeedsDenseModel:
            "static calibration applies to dense models; a layer network quantizes its activations per example at run time"
        }
    }
}
