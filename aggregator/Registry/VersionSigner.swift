import Crypto
import Foundation
import StarlingCore
import StarlingProtocol

/// Signs every registered version with the aggregator's Ed25519 key, so an agent can tell the
/// artifacts it is about to run are the ones this aggregator registered, whoever served the bytes.
struct VersionSigner: Sendable {
    let key: Curve25519.Signing.PrivateKey

    /// SHA-256 of `manifest` as an artifact stores it.
    static func manifestDigest(_ manifest: ModelManifest) -> String {
        Secrets.sha256(Array(ModelBundle.manifestJSON(manifest).utf8))
    }

    /// The base64 signature of `statement`.
    func sign(_ statement: VersionStatement) throws(APIError) -> String {
        do {
            return try key.signature(for: statement.signedBytes).base64EncodedString()
        } catch {
            throw .internal("cannot sign \(statement.model)@\(statement.version): \(error)")
        }
    }
}
