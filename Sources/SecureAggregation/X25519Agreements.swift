import CStarlingX25519
import Crypto

/// The X25519 agreements of one private key with many public keys, as a SecAgg+ client makes with
/// its neighbours in the key-sharing and masked-input stages (28 of each at 10,000 devices), where
/// they were the largest part of a device's time: eight ladders at a time with AVX-512 IFMA where
/// the CPU has it (`CStarlingX25519`), one at a time with swift-crypto elsewhere. Either way the
/// same secrets, and one of all zeros (a peer key of small order, which ``SecAggKeys/publicKey(_:)``
/// refuses before) is refused: swift-crypto would return it.
public enum X25519Agreements {
    /// Whether this CPU takes the batched path.
    public static var batched: Bool { starling_x25519_batch_runs() != 0 }

    /// The shared secret of `privateKey` with each of `peers`, in their order, 32 bytes each.
    public static func secrets(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, with peers: [Curve25519.KeyAgreement.PublicKey]
    ) throws(SecAggError) -> [[UInt8]] {
        guard batched, !peers.isEmpty else { return try portably(privateKey, with: peers) }
        var points: [UInt8] = []
        points.reserveCapacity(peers.count * 32)
        for peer in peers { points.append(contentsOf: peer.rawRepresentation) }
        var flat = [UInt8](repeating: 0, count: peers.count * 32)
        let done = privateKey.rawRepresentation.withUnsafeBytes { scalar in
            flat.withUnsafeMutableBufferPointer { secrets in
                points.withUnsafeBufferPointer { points in
                    guard let scalar = scalar.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        let secrets = secrets.baseAddress, let points = points.baseAddress
                    else { return Int32(0) }
                    return starling_x25519_batch(secrets, scalar, points, peers.count)
                }
            }
        }
        guard done == 1 else { return try portably(privateKey, with: peers) }
        return try refusingZeros((0..<peers.count).map { Array(flat[($0 * 32)..<($0 * 32 + 32)]) })
    }

    /// The same secrets, one agreement at a time with swift-crypto: the path of a CPU without
    /// AVX-512 IFMA, and the benchmark's reference.
    public static func portably(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, with peers: [Curve25519.KeyAgreement.PublicKey]
    ) throws(SecAggError) -> [[UInt8]] {
        var secrets: [[UInt8]] = []
        secrets.reserveCapacity(peers.count)
        for peer in peers {
            secrets.append(try SecAggKeys.agree(privateKey, peer).withUnsafeBytes { Array($0) })
        }
        return try refusingZeros(secrets)
    }

    private static func refusingZeros(_ secrets: [[UInt8]]) throws(SecAggError) -> [[UInt8]] {
        guard secrets.allSatisfy({ $0.contains { $0 != 0 } }) else {
            throw .integrityFailure("X25519 agreement failed: a shared secret of all zeros")
        }
        return secrets
    }
}
