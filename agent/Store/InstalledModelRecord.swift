/// Which model version sits in `models/current.safetensors` (fp32) and `models/current.int8.safetensors`,
/// so a restart loads it and knows what it runs.
struct InstalledModelRecord: Sendable, Equatable {
    var name: String
    var version: Int
    /// SHA-256 of the fp32 file, lowercase hex.
    var sha256: String
    /// SHA-256 of the int8 file, lowercase hex; nil for a model installed before int8 artifacts existed.
    var sha256Int8: String?
    /// The deployment it was installed for; nil when installed by hand.
    var deploymentId: String?
}
