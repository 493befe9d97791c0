#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A model ready to ship: manifest plus weights, serialised as one safetensors file.
///
/// The file holds F32 tensors `layers.{l}.weight` / `layers.{l}.bias` (a layer list numbers its
/// entries, so only those with parameters appear; group normalisation's gamma and beta are its
/// weight and bias) and the manifest JSON in
/// `__metadata__["starling.manifest"]`, so standard tooling (e.g. Python `safetensors`) can open it.
public struct ModelBundle: Sendable, Equatable {
    /// Metadata key under which the manifest JSON is stored.
    public static let manifestMetadataKey = "starling.manifest"

    /// What the model is.
    public var manifest: ModelManifest
    /// The weights.
    public var model: Model

    /// Pairs a manifest with a model; their architectures must agree.
    public init(manifest: ModelManifest, model: Model) throws(ModelError) {
        guard manifest.architecture == model.architecture else {
            throw .architectureMismatch(manifest: manifest.architecture, model: model.architecture)
        }
        self.manifest = manifest
        self.model = model
    }

    /// Safetensors bytes (deterministic: sorted tensor names, sorted JSON keys).
    public func encoded() -> [UInt8] {
        var tensors: [String: SafetensorsTensor] = [:]
        for (name, tensor) in model.namedTensors {
            tensors[name] = SafetensorsFile.float32(tensor)
        }
        return SafetensorsFile(tensors: tensors, metadata: [Self.manifestMetadataKey: Self.manifestJSON(manifest)])
            .encoded()
    }

    /// Decodes and validates a bundle; safetensors problems are wrapped as `ModelError.safetensors`.
    /// Every weight must be a finite `Float` (``ModelError/nonFiniteWeight(tensor:index:value:)``, which
    /// F64 weights beyond ±3.4e38 are too). With `sizeLimit`, the manifest's architecture is checked
    /// against it before any weight is converted.
    public init(decoding bytes: [UInt8], sizeLimit: ModelSizeLimit? = nil) throws(ModelError) {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(decoding: bytes)
        } catch {
            throw .safetensors(error)
        }
        guard let json = file.metadata[Self.manifestMetadataKey] else {
            throw .invalidBundle("the metadata has no '\(Self.manifestMetadataKey)' entry")
        }
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(json.utf8))
        } catch {
            throw .invalidManifest(Self.describe(error))
        }
        try sizeLimit?.check(manifest.architecture)
        var tensors: [String: Tensor] = [:]
        for name in file.tensors.keys.sorted() {
            let tensor: Tensor
            do {
                tensor = try file.floatTensor(name)
            } catch {
                throw .safetensors(error)
            }
            if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw .nonFiniteWeight(tensor: name, index: index, value: tensor.values[index])
            }
            tensors[name] = tensor
        }
        let model = try Model(architecture: manifest.architecture, namedTensors: tensors)
        try self.init(manifest: manifest, model: model)
    }

    /// Raw features (rows × inputSize) → probabilities (rows × outputSize), preprocessing applied.
    public func predict(features: [Float], rows: Int) -> [Float] {
        model.probabilities(features: manifest.preprocessing.apply(features), rows: rows)
    }

    /// The manifest as compact JSON with sorted keys (deterministic bytes), exactly as the artifact
    /// stores it: what a version's manifest digest is taken over.
    public static func manifestJSON(_ manifest: ModelManifest) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a validated manifest of strings and finite numbers cannot fail.
        guard let data = try? encoder.encode(manifest) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        case DecodingError.keyNotFound(let key, _):
            return "the manifest JSON has no '\(key.stringValue)' field"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "manifest field '\(path)' has the wrong type"
        default:
            return "the manifest is not valid JSON"
        }
    }
}
