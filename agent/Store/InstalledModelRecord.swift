import StarlingProtocol

/// A model version the agent keeps on disk, in one of its two slots: which version it is and the
/// digests that name its files (`models/<sha256>.safetensors`, `models/<sha256Int8>.int8.safetensors`),
/// so a restart finds and checks them without the network.
struct InstalledModelRecord: Sendable, Equatable {
    var name: String
    var version: Int
    /// SHA-256 of the fp32 file, lowercase hex.
    var sha256: String
    /// SHA-256 of the int8 file phase one runs, lowercase hex.
    var sha256Int8: String
    /// The deployment it was installed for; nil when installed by hand.
    var deploymentId: String?

    /// `name@version`, as the agent reports it.
    var tag: String { "\(name)@\(version)" }

    /// Whether `desired` names this very version: same name, number and artifact digests.
    func isSameVersion(as desired: DesiredModel) -> Bool {
        name == desired.model && version == desired.version && sha256 == desired.sha256.lowercased()
            && sha256Int8 == desired.sha256Int8.lowercased()
    }
}
