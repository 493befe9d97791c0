import Quantization
import StarlingCore

/// A model the agent answers phase one with: the int8 bundle of a deployed version plus the registry
/// name and version it was deployed as (the manifest's own name may differ when the model was imported
/// under another name). The version's fp32 artifact sits next to it on disk; rounds download their
/// own fp32 base.
public struct InstalledModel: Sendable {
    /// The int8 runtime phase one predicts with.
    public let int8: Int8Bundle
    public let name: String
    public let version: Int
    /// SHA-256 of the fp32 safetensors bytes, lowercase hex.
    public var sha256: String
    /// SHA-256 of the int8 safetensors bytes, lowercase hex.
    public var sha256Int8: String

    public init(int8: Int8Bundle, name: String, version: Int, sha256: String, sha256Int8: String) {
        self.int8 = int8
        self.name = name
        self.version = version
        tag = "\(name)@\(version)"
        self.sha256 = sha256
        self.sha256Int8 = sha256Int8
    }

    /// The manifest: architecture, labels, preprocessing and confidence threshold.
    public var manifest: ModelManifest { int8.manifest }

    /// `name@version`, as reported to the aggregator and in predictions (made once: every
    /// prediction carries it).
    public let tag: String
}
