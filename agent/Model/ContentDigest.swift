import Crypto

/// SHA-256 of downloaded artifacts, in the lowercase hex the aggregator advertises.
enum ContentDigest {
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
