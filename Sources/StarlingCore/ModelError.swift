/// Why a model, its architecture, manifest, preprocessing or bundle could not be built or decoded.
///
/// Every case reads as one sentence so it can be shown to an operator or returned by an API as is.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A layer-size list or its textual form ("64-32-10") is not usable.
    case invalidArchitecture(String)
    /// Means and standard deviations disagree in count or a deviation is not a positive finite number.
    case invalidStandardization(String)
    /// A feature transform has unusable parameters, or the transforms do not fit the model's inputs.
    case invalidPreprocessing(String)
    /// A manifest field is inconsistent with the architecture or out of range.
    case invalidManifest(String)
    /// A feature profile describes another number of features than the model takes.
    case profileWidthMismatch(profile: Int, inputs: Int)
    /// A flat parameter vector has the wrong length for the architecture.
    case parameterCountMismatch(expected: Int, actual: Int)
    /// A named weight tensor required by the architecture is absent.
    case missingTensor(String)
    /// A named tensor is present that the architecture does not define.
    case unexpectedTensor(String)
    /// A named tensor has a shape other than the architecture requires.
    case tensorShapeMismatch(name: String, expected: [Int], actual: [Int])
    /// A manifest and a model describe different networks.
    case architectureMismatch(manifest: ModelArchitecture, model: ModelArchitecture)
    /// The bundle is structurally valid safetensors but lacks what a Starling model needs.
    case invalidBundle(String)
    /// A weight tensor holds NaN or ±∞, or an F64 value beyond the range of `Float` (which becomes ±∞).
    case nonFiniteWeight(tensor: String, index: Int, value: Float)
    /// An architecture has more parameters than a ``ModelSizeLimit`` allows (`Int.max` when the
    /// count does not fit an `Int`).
    case tooManyParameters(architecture: ModelArchitecture, count: Int, limit: Int)
    /// An architecture has more dense layers than a ``ModelSizeLimit`` allows.
    case tooManyLayers(count: Int, limit: Int)
    /// A layer network's forward pass holds more values per example than a ``ModelSizeLimit`` allows.
    case tooManyActivations(count: Int, limit: Int)
    /// The bundle bytes are not valid safetensors.
    case safetensors(SafetensorsError)

    public var description: String {
        switch self {
        case .invalidArchitecture(let reason):
            return "Invalid model architecture: \(reason)."
        case .invalidStandardization(let reason):
            return "Invalid standardization: \(reason)."
        case .invalidPreprocessing(let reason):
            return "Invalid preprocessing: \(reason)."
        case .invalidManifest(let reason):
            return "Invalid model manifest: \(reason)."
        case .profileWidthMismatch(let profile, let inputs):
            return "The feature profile describes \(profile) features, but the model takes \(inputs) inputs."
        case .parameterCountMismatch(let expected, let actual):
            return "The architecture needs \(expected) parameters, but \(actual) were given."
        case .missingTensor(let name):
            return "The weight tensor '\(name)' is missing."
        case .unexpectedTensor(let name):
            return "The tensor '\(name)' is not part of this architecture."
        case .tensorShapeMismatch(let name, let expected, let actual):
            return "The tensor '\(name)' has shape \(actual), expected \(expected)."
        case .architectureMismatch(let manifest, let model):
            return "The manifest describes architecture \(manifest), but the model is \(model)."
        case .invalidBundle(let reason):
            return "Invalid model bundle: \(reason)."
        case .safetensors(let error):
            return "Invalid model bundle: \(error.description)"
        case .nonFiniteWeight(let tensor, let index, let value):
            return
                "The weight tensor '\(tensor)' holds \(value) at index \(index); weights must be finite 32-bit floats (within ±3.4e38)."
        case .tooManyParameters(let architecture, let count, let limit):
            let size = count == .max ? "more than \(Int.max)" : "\(count)"
            return "Model \(architecture) has \(size) parameters, more than the limit of \(limit)."
        case .tooManyLayers(let count, let limit):
            return "The model has \(count) layers, more than the limit of \(limit)."
        case .tooManyActivations(let count, let limit):
            return
                "The model's forward pass holds \(count) values per example, more than the limit of \(limit)."
        }
    }
}
