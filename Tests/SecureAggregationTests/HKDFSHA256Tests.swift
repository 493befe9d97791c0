import Crypto
import XCTest

@testable import SecureAggregation

/// The lean HKDF-SHA256 gives the bytes RFC 5869 and swift-crypto's `HKDF` give.
final class HKDFSHA256Tests: XCTestCase {
    private func derive(_ secret: [UInt8], salt: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        secret.withUnsafeBytes { secret in
            salt.withUnsafeBytes { salt in
                info.withUnsafeBytes { info in
                    HKDFSHA256.derive(secret: secret, salt: salt, info: info, count: count).withUnsafeBytes {
                        Array($0)
                    }
                }
            }
        }
    }

    private func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }

    func testRFC5869TestCaseOne() {
        let okm = derive(
            bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: bytes("000102030405060708090a0b0c"),
            info: bytes("f0f1f2f3f4f5f6f7f8f9"), count: 42)
        XCTAssertEqual(
            okm,
            bytes(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
    }

    func testEqualsSwiftCryptoForEveryLengthTheProtocolUsesAndLongKeys() {
        var rng = SystemRandomNumberGenerator()
        for (secretBytes, saltBytes) in [(32, 18), (16, 0), (32, 100)] {
            let secret = (0..<secretBytes).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let salt = (0..<saltBytes).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let info = Array("share-encryption|round-7|3|12".utf8)
            for count in [16, 32, 33, 64, 100] {
                let expected = HKDF<SHA256>.deriveKey(
                    inputKeyMaterial: SymmetricKey(data: secret), salt: salt, info: info, outputByteCount: count)
                XCTAssertEqual(
                    derive(secret, salt: salt, info: info, count: count), expected.withUnsafeBytes { Array($0) },
                    "secret \(secretBytes) B, salt \(saltBytes) B, \(count) B out")
            }
        }
    }
}
