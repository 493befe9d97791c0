import CStarlingMask
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

/// Expands a 128-bit seed into a mask of ring elements with AES-128 in counter mode, and adds or
/// subtracts it in place. Where the CPU has AES instructions (AES-NI or VAES on x86-64, the Armv8
/// cryptography extension), each keystream block is made in registers and added to its four
/// words in one pass (`CStarlingMask`): a device masks its vector with 29 such masks a round, and
/// the aggregator recovers the masks of the devices that vanished. Elsewhere swift-crypto's AES
/// makes the keystream in chunks that stay in cache; chunk c starts at counter block
/// c × blocksPerChunk, so the mask is the same as one long keystream, and the same on every path.
public struct MaskGenerator: Sendable {
    /// Adds the mask to the vector, or takes it away.
    public enum Direction: Sendable { case add, subtract }

    private static let chunkBytes = 64 * 1024
    /// The plaintext of a chunk of keystream, made the first time the portable path runs.
    private static let zeros = [UInt8](repeating: 0, count: MaskGenerator.chunkBytes)

    public init() {}

    /// Applies the mask expanded from `seed` (16 bytes) to every element of `vector`.
    public func apply(seed: SymmetricKey, _ direction: Direction, to vector: inout [UInt32]) throws(SecAggError) {
        let applied = seed.withUnsafeBytes { key in
            vector.withUnsafeMutableBufferPointer { words in
                guard key.count == 16, let seed = key.baseAddress, let base = words.baseAddress else { return false }
                return starling_mask_apply(
                    seed.assumingMemoryBound(to: UInt8.self), base, words.count, direction == .subtract ? 1 : 0) == 1
            }
        }
        if !applied { try applyPortably(seed: seed, direction, to: &vector) }
    }

    /// The mask made with swift-crypto's AES, for a CPU without AES instructions (public for the
    /// benchmark that compares the two paths).
    public func applyPortably(seed: SymmetricKey, _ direction: Direction, to vector: inout [UInt32]) throws(SecAggError)
    {
        let elementsPerChunk = Self.chunkBytes / 4
        var start = 0
        var block: UInt32 = 0
        while start < vector.count {
            let count = min(elementsPerChunk, vector.count - start)
            let keystream: Data
            do {
                keystream = try AES._CTR.encrypt(
                    Self.zeros.prefix(count * 4), using: seed, nonce: try Self.nonce(startingAt: block))
            } catch {
                throw .invalidParameters("mask expansion failed: \(error)")
            }
            keystream.withUnsafeBytes { raw in
                vector.withUnsafeMutableBufferPointer { target in
                    Self.combine(raw, into: target, from: start, count: count, direction)
                }
            }
            start += count
            block &+= UInt32(Self.chunkBytes / 16)
        }
    }

    /// Counter block `block` of a keystream whose 96-bit nonce is zero: each seed is used once.
    private static func nonce(startingAt block: UInt32) throws -> AES._CTR.Nonce {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[12] = UInt8(truncatingIfNeeded: block >> 24)
        bytes[13] = UInt8(truncatingIfNeeded: block >> 16)
        bytes[14] = UInt8(truncatingIfNeeded: block >> 8)
        bytes[15] = UInt8(truncatingIfNeeded: block)
        return try AES._CTR.Nonce(nonceBytes: bytes)
    }

    /// Adds (or subtracts) the keystream's little-endian words to `count` elements of `target`
    /// from `start`. The keystream's storage comes from the allocator, so its words are aligned and
    /// the loop runs on whole vector registers; an unaligned one takes the word-by-word path.
    private static func combine(
        _ keystream: UnsafeRawBufferPointer, into target: UnsafeMutableBufferPointer<UInt32>, from start: Int,
        count: Int, _ direction: Direction
    ) {
        guard let base = target.baseAddress?.advanced(by: start), let raw = keystream.baseAddress,
            keystream.count >= count * 4
        else { return }
        guard Int(bitPattern: raw) % MemoryLayout<UInt32>.alignment == 0 else {
            for index in 0..<count {
                let word = UInt32(littleEndian: keystream.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                base[index] = direction == .add ? base[index] &+ word : base[index] &- word
            }
            return
        }
        let words = raw.assumingMemoryBound(to: UInt32.self)
        switch direction {
        case .add:
            for index in 0..<count { base[index] &+= UInt32(littleEndian: words[index]) }
        case .subtract:
            for index in 0..<count { base[index] &-= UInt32(littleEndian: words[index]) }
        }
    }
}
