import Crypto
import CryptoExtras
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A cryptographically secure random stream for differential privacy: AES-256 in counter mode
/// keyed from the system's entropy (or a given key, for reproducible tests), read in 64 KiB blocks.
/// DP-SGD draws every sampling decision and every noise value from it; a predictable generator
/// would let an observer subtract the noise.
public struct SecureRandom: RandomNumberGenerator, Sendable {
    private let key: SymmetricKey
    private var block: UInt32 = 0
    private var buffer: [UInt64] = []
    private var position = 0
    private let zeros = [UInt8](repeating: 0, count: SecureRandom.blockBytes)

    private static let blockBytes = 64 * 1024

    /// A stream keyed from the operating system's entropy.
    public init() {
        key = SymmetricKey(size: .bits256)
    }

    /// A stream from a fixed 32-byte key: the same key gives the same stream.
    public init(key: [UInt8]) {
        precondition(key.count == 32, "a SecureRandom key is 32 bytes")
        self.key = SymmetricKey(data: key)
    }

    public mutating func next() -> UInt64 {
        if position == buffer.count { refill() }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func refill() {
        var nonce = [UInt8](repeating: 0, count: 16)
        for index in 0..<4 { nonce[12 + index] = UInt8(truncatingIfNeeded: block >> (24 - 8 * index)) }
        block &+= UInt32(Self.blockBytes / 16)
        // A 16-byte nonce is always accepted and AES-CTR on a valid key cannot fail.
        let keystream = (try? AES._CTR.Nonce(nonceBytes: nonce)).flatMap {
            try? AES._CTR.encrypt(zeros, using: key, nonce: $0)
        } ?? Data()
        precondition(keystream.count == Self.blockBytes, "AES-CTR produced no keystream")
        if buffer.count != Self.blockBytes / 8 { buffer = [UInt64](repeating: 0, count: Self.blockBytes / 8) }
        buffer.withUnsafeMutableBytes { target in keystream.withUnsafeBytes { target.copyMemory(from: $0) } }
        #if _endian(big)
            for index in buffer.indices { buffer[index] = UInt64(littleEndian: buffer[index]) }
        #endif
        position = 0
    }
}
