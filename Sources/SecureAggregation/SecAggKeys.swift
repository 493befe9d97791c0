import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Key derivation and share encryption, each use bound to its purpose, round and parties by
/// HKDF-SHA256 `info` (domain separation): a key for one purpose or pair can never serve another.
enum SecAggKeys {
    private static let salt = Data("starling-secagg-v1".utf8)

    /// The seed of the pairwise mask between clients `a` and `b` (order does not matter), from the
    /// agreement of their masking keys (``X25519Agreements``).
    static func pairwiseMaskSeed(secret: some ContiguousBytes, roundId: String, _ a: Int, _ b: Int) -> SymmetricKey {
        derive(secret, info: info("pair-mask", roundId, min(a, b), max(a, b)), count: 16)
    }

    /// The seed of a client's self mask, from the random secret it shares with its neighbours.
    static func selfMaskSeed(_ secret: [UInt8], roundId: String, client: Int) -> SymmetricKey {
        derive(secret, info: info("self-mask", roundId, client), count: 16)
    }

    /// The keys that encrypt the shares `me` sends to `peer` (`sending`) and those `peer` sends to
    /// `me` (`receiving`), known only to the two of them: one derivation of 64 bytes from their
    /// encryption keys' agreement (``agree(_:_:)``), whose first half seals the lower-numbered
    /// client's shares and second half the other's, so both ends split it alike.
    static func shareKeys(
        _ secret: some ContiguousBytes, roundId: String, me: Int, peer: Int
    ) -> (sending: SymmetricKey, receiving: SymmetricKey) {
        let both = derive(secret, info: info("share-encryption", roundId, min(me, peer), max(me, peer)), count: 64)
        let (lower, upper) = both.withUnsafeBytes {
            (SymmetricKey(data: $0.prefix(32)), SymmetricKey(data: $0.suffix(32)))
        }
        return me < peer ? (lower, upper) : (upper, lower)
    }

    /// What a share ciphertext is bound to: it opens only as `from`'s shares for `to` in this round.
    static func shareAssociatedData(roundId: String, from: Int, to: Int) -> Data {
        info("share-envelope", roundId, from, to)
    }

    /// A peer's X25519 public key, refused when malformed or of small order (RFC 7748 §6.1): with
    /// such a point every shared secret is all zeros, so masks and share keys derived from it would
    /// be known to everyone.
    static func publicKey(_ raw: [UInt8]) throws(SecAggError) -> Curve25519.KeyAgreement.PublicKey {
        let key: Curve25519.KeyAgreement.PublicKey
        do {
            key = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
        } catch {
            throw .malformedMessage("a public key must be 32 bytes of X25519")
        }
        guard !hasSmallOrder(raw) else {
            throw .malformedMessage("a public key is a point of small order, whose shared secrets are all zeros")
        }
        return key
    }

    /// The u-coordinates of small order on Curve25519 and its twist: 0, 1, p − 1, the two points of
    /// order 8, and p and p + 1, the other encodings of 0 and 1 below 2^255. Every X25519 scalar is
    /// clamped to a multiple of 8, so the agreement of any private key with these is all zeros, and
    /// with any other point it is not (the list libsodium checks, `has_small_order`).
    private static let smallOrderPoints: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),
        [1] + [UInt8](repeating: 0, count: 31),
        [
            0xE0, 0xEB, 0x7A, 0x7C, 0x3B, 0x41, 0xB8, 0xAE, 0x16, 0x56, 0xE3, 0xFA, 0xF1, 0x9F, 0xC4, 0x6A,
            0xDA, 0x09, 0x8D, 0xEB, 0x9C, 0x32, 0xB1, 0xFD, 0x86, 0x62, 0x05, 0x16, 0x5F, 0x49, 0xB8, 0x00,
        ],
        [
            0x5F, 0x9C, 0x95, 0xBC, 0xA3, 0x50, 0x8C, 0x24, 0xB1, 0xD0, 0xB1, 0x55, 0x9C, 0x83, 0xEF, 0x5B,
            0x04, 0x44, 0x5C, 0xC4, 0x58, 0x1C, 0x8E, 0x86, 0xD8, 0x22, 0x4E, 0xDD, 0xD0, 0x9F, 0x11, 0x57,
        ],
        [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        [0xEE] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
    ]

    /// Whether the 32 bytes of a public key name a point of small order; X25519 ignores the top bit.
    static func hasSmallOrder(_ raw: [UInt8]) -> Bool {
        var masked = raw
        masked[31] &= 0x7F
        return smallOrderPoints.contains(masked)
    }

    static func privateKey(_ raw: [UInt8]) throws(SecAggError) -> Curve25519.KeyAgreement.PrivateKey {
        do {
            return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
        } catch {
            throw .integrityFailure("a reconstructed masking key is not an X25519 key")
        }
    }

    static func agree(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, _ peerKey: Curve25519.KeyAgreement.PublicKey
    ) throws(SecAggError) -> SharedSecret {
        do {
            return try privateKey.sharedSecretFromKeyAgreement(with: peerKey)
        } catch {
            throw .integrityFailure("X25519 agreement failed: \(error)")
        }
    }

    /// HKDF-SHA256 of `secret` with the salt and `info`.
    private static func derive(_ secret: some ContiguousBytes, info: Data, count: Int) -> SymmetricKey {
        secret.withUnsafeBytes { secret in
            salt.withUnsafeBytes { salt in
                info.withUnsafeBytes { info in
                    HKDFSHA256.derive(secret: secret, salt: salt, info: info, count: count)
                }
            }
        }
    }

    /// "purpose|round|n1|n2…" as UTF-8; round ids never contain "|".
    private static func info(_ purpose: String, _ roundId: String, _ numbers: Int...) -> Data {
        Data(([purpose, roundId] + numbers.map(String.init)).joined(separator: "|").utf8)
    }
}
