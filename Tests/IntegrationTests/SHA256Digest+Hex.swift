import Crypto
import Foundation

extension SHA256.Digest {
    /// Lowercase hex, as the registry writes digests.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
