import Crypto
import StarlingCore
import XCTest

@testable import SecureAggregation

/// The batched X25519 agreements give RFC 7748's outputs and swift-crypto's secrets for every count
/// of peers around the batch of eight, for public keys with the top bit set or above p, and refuse a
/// secret of all zeros; on a CPU without AVX-512 IFMA the same checks hold for the portable path.
final class X25519AgreementsTests: XCTestCase {
    private func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func test_rfc7748Vectors() throws {
        let vectors = [
            (
                "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
            ),
            (
                "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
            ),
        ]
        for (scalar, point, expected) in vectors {
            let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes(scalar))
            let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes(point))
            XCTAssertEqual(try X25519Agreements.secrets(key, with: [peer]).map(hex), [expected])
        }
    }

    func test_aThousandIterationsOfRFC7748() throws {
        var scalar = bytes("09" + String(repeating: "00", count: 31))
        var point = scalar
        for _ in 0..<1_000 {
            let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: scalar)
            let next = try X25519Agreements.secrets(
                key, with: [try Curve25519.KeyAgreement.PublicKey(rawRepresentation: point)])[0]
            (scalar, point) = (next, scalar)
        }
        XCTAssertEqual(hex(scalar), "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    }

    func test_everyCountOfPeers_givesSwiftCryptosSecrets() throws {
        var generator = SeededRNG(seed: 25_519)
        var unusual: [[UInt8]] = [
            [UInt8](repeating: 0xFF, count: 32),  // 2^256 − 1: top bit ignored, then above p
            [0xF3] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],  // p + 6
        ]
        for _ in 0..<6 {
            var point = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            point[31] |= 0x80
            unusual.append(point)
        }
        for count in [0, 1, 2, 7, 8, 9, 15, 16, 17, 28, 40] {
            let key = Curve25519.KeyAgreement.PrivateKey()
            let peers = try (0..<count).map { index in
                try Curve25519.KeyAgreement.PublicKey(
                    rawRepresentation: index < unusual.count
                        ? unusual[index] : Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation))
            }
            XCTAssertEqual(
                try X25519Agreements.secrets(key, with: peers), try X25519Agreements.portably(key, with: peers),
                "\(count) peers")
        }
    }

    func test_aSecretOfAllZeros_isRefused() throws {
        let key = Curve25519.KeyAgreement.PrivateKey()
        var peers = try (0..<9).map { _ in
            try Curve25519.KeyAgreement.PublicKey(
                rawRepresentation: Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)
        }
        peers[8] = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        XCTAssertThrowsError(try X25519Agreements.secrets(key, with: peers)) {
            guard case .integrityFailure = $0 as? SecAggError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try X25519Agreements.portably(key, with: peers)) {
            guard case .integrityFailure = $0 as? SecAggError else { return XCTFail("\($0)") }
        }
    }
}
