import Crypto
import CryptoExtras

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A cryptographically secure random stream for differential privacy: the AES-256 counter-mode
/// keystream under a key from the system's entropy (or a given key, for reproducible tests). DP-SGD
/// draws every sampling decision and every noise value from it; a predictable generator would let
/// an observer subtract the noise.
///
/// The stream is AES_K(0) ‖ AES_K(1) ‖ … over a 128-bit big-endian counter, so it never repeats;
/// ``next()`` reads it as little-endian 64-bit words. It is made 32 KiB at a time, below the 64 KiB
/// from which the agent's malloc maps memory afresh. Bulk readers inside the module (the Gaussian
/// noise, Poisson sampling) read the current block in place through
/// ``withUnusedKeystream(atLeast:_:)``.
public struct SecureRandom: RandomNumberGenerator, Sendable {
    private let key: SymmetricKey
    /// The index of the next block: its first counter is `nextBlock · 2048`.
    private var nextBlock: UInt64 = 0
    private var keystream = Data()
    /// Bytes of `keystream` already handed out.
    private var offset = 0
    /// Bytes of `keystream` not yet handed out.
    private var unused = 0
    /// Words taken from the block ahead of ``next()``, 32 at a time, because every access to a
    /// `Data` costs tens of nanoseconds; `words[wordIndex...]` are unread.
    private var words = [UInt64](repeating: 0, count: 32)
    private var wordIndex = 32

    private static let blockBytes = 32 * 1024
    private static let zeros = [UInt8](repeating: 0, count: blockBytes)

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
        if wordIndex == words.count { takeWords() }
        defer { wordIndex += 1 }
        return words[wordIndex]
    }

    /// Calls `body` with the unused part of the current block, after moving to a new block if fewer
    /// than `minimum` bytes (at most 32 KiB) are left; `body` returns how many bytes it used, from
    /// the front, and its result. Words taken ahead for ``next()`` and not read, and the bytes left
    /// in a block too short for `minimum`, are skipped: the choice to skip depends on positions
    /// only, never on values read, so what is read stays uniform and independent.
    mutating func withUnusedKeystream<Result>(
        atLeast minimum: Int, _ body: (UnsafeRawBufferPointer) -> (used: Int, result: Result)
    ) -> Result {
        wordIndex = words.count
        return take(atLeast: minimum, body)
    }

    /// Refills `words` from the block, into its end when fewer than 32 words are left in the block.
    private mutating func takeWords() {
        var buffer: [UInt64] = []
        swap(&buffer, &words)
        wordIndex = take(atLeast: 8) { bytes in
            let count = min(buffer.count, bytes.count / 8)
            let start = buffer.count - count
            buffer.withUnsafeMutableBytes { target in
                UnsafeMutableRawBufferPointer(rebasing: target[(8 * start)...])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(8 * count)]))
            }
            return (8 * count, start)
        }
        #if _endian(big)
            for index in wordIndex..<buffer.count { buffer[index] = UInt64(littleEndian: buffer[index]) }
        #endif
        words = buffer
    }

    private mutating func take<Result>(
        atLeast minimum: Int, _ body: (UnsafeRawBufferPointer) -> (used: Int, result: Result)
    ) -> Result {
        if unused < minimum { refill() }
        let start = offset
        let (used, result) = keystream.withUnsafeBytes { whole in
            body(UnsafeRawBufferPointer(rebasing: whole[start..<(start + unused)]))
        }
        precondition((0...unused).contains(used), "used more keystream than was given")
        offset += used
        unused -= used
        return result
    }

    /// The first counter of block `block`: block · 2048 as a 128-bit big-endian number, so that the
    /// blocks, 2048 counters each, are one keystream.
    static func firstCounter(ofBlock block: UInt64) -> [UInt8] {
        let counter = (high: block >> 53, low: block << 11)
        return (0..<16).map { index in
            UInt8(truncatingIfNeeded: (index < 8 ? counter.high : counter.low) >> (56 - 8 * (index % 8)))
        }
    }

    private mutating func refill() {
        let nonce = Self.firstCounter(ofBlock: nextBlock)
        nextBlock += 1
        // A 16-byte nonce is always accepted and AES-CTR on a valid key cannot fail.
        keystream =
            (try? AES._CTR.Nonce(nonceBytes: nonce)).flatMap {
                try? AES._CTR.encrypt(Self.zeros, using: key, nonce: $0)
            } ?? Data()
        precondition(keystream.count == Self.blockBytes, "AES-CTR produced no keystream")
        offset = 0
        unused = Self.blockBytes
    }
}
