import Crypto
import Foundation
import StarlingProtocol

/// Signs every registered version with the aggregator's Ed25519 key, so an agent can tell the
/// artifacts it is about to run are the ones this aggregator registered, whoever served the bytes.
struct VersionSigner: Sendable {
    let key: Curve25519.Signing.PrivateKey

    /// The base64 signature of `statement`.
    func sign(_ statement: VersionStatement) throws(APIError) -> String {
        do {
            return try key.signature(for: statement.signedBytes).base64EncodedString()
        } catch {
            throw .internal("cannot sign \(statement.model)@\(statement.version): \(error)")
        }
    }
}
