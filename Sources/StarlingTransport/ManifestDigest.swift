import Crypto
import StarlingCore

extension ModelManifest {
    /// SHA-256 of the manifest exactly as an artifact stores it, lowercase hex: what a version's
    /// signature covers, computed alike by the aggregator that signs and the agent that checks.
    public var sha256: String {
        SHA256.hash(data: Array(ModelBundle.manifestJSON(self).utf8)).map { byte in
            byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }
}
