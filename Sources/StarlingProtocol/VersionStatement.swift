/// What the aggregator signs for every registered version, and what an agent checks before it
/// installs one: the version's name and number, the SHA-256 digests of its fp32 and int8 artifacts
/// and of its manifest. The signed bytes are these fields as `key=value` lines under a fixed first
/// line, so the format cannot be confused with any other message the key might sign.
public struct VersionStatement: Sendable, Equatable {
    public var model: String
    public var version: Int
    /// SHA-256 of the fp32 artifact, lowercase hex.
    public var sha256: String
    /// SHA-256 of the int8 artifact, lowercase hex.
    public var sha256Int8: String
    /// SHA-256 of the manifest as the fp32 artifact stores it, lowercase hex.
    public var manifestSha256: String

    public init(model: String, version: Int, sha256: String, sha256Int8: String, manifestSha256: String) {
        self.model = model
        self.version = version
        self.sha256 = sha256.lowercased()
        self.sha256Int8 = sha256Int8.lowercased()
        self.manifestSha256 = manifestSha256.lowercased()
    }

    /// The bytes the Ed25519 signature covers.
    public var signedBytes: [UInt8] {
        Array(
            """
            starling-version-statement-v1
            model=\(model)
            version=\(version)
            sha256=\(sha256)
            sha256_int8=\(sha256Int8)
            manifest_sha256=\(manifestSha256)

            """.utf8)
    }
}
