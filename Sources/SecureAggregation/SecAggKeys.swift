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

    /// The seed of the pairwise mask between clients `a` and `b` (order does not matter).
    static func pairwiseMaskSeed(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, peerKey: Curve25519.KeyAgreement.PublicKey,
        roundId: String, _ a: Int, _ b: Int
    ) throws(SecAggError) -> SymmetricKey {
        let secret = try agree(privateKey, peerKey)
        return secret.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: salt, sharedInfo: info("pair-mask", roundId, min(a, b), max(a, b)),
            outputByteCount: 16)
    }

    /// The seed of a client's self mask, from the random secret it shares with its neighbours.
    static func selfMaskSeed(_ secret: [UInt8], roundId: String, client: Int) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: salt, info: info("self-mask", roundId, client),
            outputByteCount: 16)
    }

    /// The key that encrypts the shares `from` sends to `to`, known only to the two of them.
    static func shareKey(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, peerKey: Curve25519.KeyAgreement.PublicKey,
        roundId: String, from: Int, to: Int
    ) throws(SecAggError) -> SymmetricKey {
        let secret = try agree(privateKey, peerKey)
        return secret.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: salt, sharedInfo: info("share-encryption", roundId, from, to), outputByteCount: 32
        )
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
        guard !hasSmallOrder(key) else {
            throw .malformedMessage("a public key is a point of small order, whose shared secrets are all zeros")
        }
        return key
    }

    /// Whether `key` lies in the small subgroup (or the twist's): every X25519 scalar is clamped to
    /// a multiple of 8, so the agreement of any private key with such a point is all zeros, and with
    /// any other point it is not.
    private static func hasSmallOrder(_ key: Curve25519.KeyAgreement.PublicKey) -> Bool {
        guard let secret = try? Curve25519.KeyAgreement.PrivateKey().sharedSecretFromKeyAgreement(with: key) else {
            return true
        }
        return secret.withUnsafeBytes { bytes in bytes.allSatisfy { $0 == 0 } }
    }

    static func privateKey(_ raw: [UInt8]) throws(SecAggError) -> Curve25519.KeyAgreement.PrivateKey {
        do {
            return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
        } catch {
            throw .integrityFailure("a reconstructed masking key is not an X25519 key")
        }
    }

    private static func agree(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, _ peerKey: Curve25519.KeyAgreement.PublicKey
    ) throws(SecAggError) -> SharedSecret {
        do {
            return try privateKey.sharedSecretFromKeyAgreement(with: peerKey)
        } catch {
            throw .integrityFailure("X25519 agreement failed: \(error)")
        }
    }

    /// "purpose|round|n1|n2…" as UTF-8; round ids never contain "|".
    private static func info(_ purpose: String, _ roundId: String, _ numbers: Int...) -> Data {
        Data(([purpose, roundId] + numbers.map(String.init)).joined(separator: "|").utf8)
    }
}
