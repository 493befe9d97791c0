import StarlingCore

/// A model the agent answers with: the decoded bundle plus the registry name and version it was
/// deployed as (the manifest's own name may differ when the model was imported under another name).
public struct InstalledModel: Sendable {
    public var bundle: ModelBundle
    public var name: String
    public var version: Int
    /// SHA-256 of the safetensors bytes, lowercase hex.
    public var sha256: String

    public init(bundle: ModelBundle, name: String, version: Int, sha256: String) {
        self.bundle = bundle
        self.name = name
        self.version = version
        self.sha256 = sha256
    }

    /// `name@version`, as reported to the aggregator and in predictions.
    public var tag: String { "\(name)@\(version)" }
}
