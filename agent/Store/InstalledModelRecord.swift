/// Which model version sits in `models/current.safetensors`, so a restart loads it and knows what it runs.
struct InstalledModelRecord: Sendable, Equatable {
    var name: String
    var version: Int
    /// SHA-256 of the file, lowercase hex.
    var sha256: String
    /// The deployment it was installed for; nil when installed by hand.
    var deploymentId: String?
}
