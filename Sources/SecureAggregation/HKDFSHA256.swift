import Crypto

/// HKDF with SHA-256 (RFC 5869) over raw bytes, HMAC built from `SHA256`'s own buffer updates.
///
/// Every client of a SecAgg+ round derives a key per neighbour and per purpose, dozens a round;
/// swift-crypto's generic `HKDF` spends most of each derivation looking up generic metadata, several
/// times what the SHA-256 compressions cost. This gives the same bytes (tested against it).
enum HKDFSHA256 {
    private static let blockBytes = 64
    private static let digestBytes = 32

    /// `count` bytes (at most 255 × 32) of key material from `secret`, `salt` and `info`.
    static func derive(
        secret: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer, info: UnsafeRawBufferPointer, count: Int
    ) -> SymmetricKey {
        let pseudorandomKey = authenticationCode(key: salt, message: [secret])
        var output: [UInt8] = []
        output.reserveCapacity(count + digestBytes)
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < count {
            previous = pseudorandomKey.withUnsafeBytes { key in
                previous.withUnsafeBytes { previous in
                    withUnsafeBytes(of: counter) { counter in
                        authenticationCode(key: key, message: [previous, info, counter])
                    }
                }
            }
            output += previous
            counter &+= 1
        }
        return SymmetricKey(data: output.prefix(count))
    }

    /// HMAC-SHA256 of the concatenation of `message`'s parts.
    private static func authenticationCode(key: UnsafeRawBufferPointer, message: [UnsafeRawBufferPointer]) -> [UInt8] {
        var padded = [UInt8](repeating: 0, count: blockBytes)
        if key.count > blockBytes {
            for (index, byte) in SHA256.hash(data: key).enumerated() { padded[index] = byte }
        } else {
            for index in 0..<key.count { padded[index] = key[index] }
        }
        var inner = SHA256()
        padded.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        for part in message { inner.update(bufferPointer: part) }
        let innerDigest = inner.finalize()
        var outer = SHA256()
        padded.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        innerDigest.withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes { Array($0) }
    }
}
