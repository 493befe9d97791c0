import Crypto
import Foundation

/// Random identifiers and secrets, and the digests under which secrets are stored.
enum Secrets {
    /// `count` bytes from the system's cryptographically secure generator.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// `prefix` followed by 32 random bytes in unpadded base64url: a bearer secret.
    static func token(prefix: String) -> String {
        let text = Data(randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// `prefix` followed by `hexDigits` random lowercase hex digits: an identifier.
    static func identifier(prefix: String, hexDigits: Int = 12) -> String {
        prefix + String(hex(randomBytes((hexDigits + 1) / 2)).prefix(hexDigits))
    }

    /// Lowercase hex SHA-256 of `bytes`.
    static func sha256(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }

    /// Lowercase hex SHA-256 of a secret's UTF-8 text: the form stored in the database.
    static func hash(secret: String) -> String { sha256(Array(secret.utf8)) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
