import CStarlingMask
import Crypto
import XCTest

@testable import SecureAggregation

/// The one-pass mask kernels give, on every path this CPU runs, the very mask of swift-crypto's
/// AES-128-CTR: devices and the aggregator may run different paths and must agree word for word.
final class MaskKernelTests: XCTestCase {
    /// Lengths around the kernels' edges: none, part of a block, whole blocks, the eight-block and
    /// 64-word groups and one past them, and a 100k-parameter model's vector.
    private let lengths = [0, 1, 3, 4, 5, 7, 8, 31, 32, 33, 63, 64, 65, 127, 1_031, 16_391, 100_234]

    func test_everyPathTheCPURuns_addsAndTakesAwayTheSameMaskAsSwiftCrypto() throws {
        var random = SystemRandomNumberGenerator()
        let paths: [starling_mask_path] = [STARLING_MASK_AESNI, STARLING_MASK_VAES, STARLING_MASK_ARMV8]
        for path in paths where starling_mask_path_runs(path) == 1 {
            for length in lengths {
                let seed = SymmetricKey(size: .bits128)
                let original = (0..<length).map { _ in UInt32.random(in: .min ... .max, using: &random) }
                var expected = original
                try MaskGenerator().applyPortably(seed: seed, .add, to: &expected)
                var masked = original
                XCTAssertTrue(apply(path, seed: seed, to: &masked, subtract: false))
                XCTAssertTrue(masked == expected, "path \(path.rawValue), \(length) words: another mask")
                XCTAssertTrue(apply(path, seed: seed, to: &masked, subtract: true))
                XCTAssertTrue(masked == original, "path \(path.rawValue), \(length) words: not taken away again")
            }
        }
    }

    func test_theGeneratorsMask_isSwiftCryptosOnWhicheverPathItTakes() throws {
        let seed = SymmetricKey(size: .bits128)
        var vector = [UInt32](repeating: 7, count: 1_031)
        var expected = vector
        try MaskGenerator().apply(seed: seed, .subtract, to: &vector)
        try MaskGenerator().applyPortably(seed: seed, .subtract, to: &expected)
        XCTAssertEqual(vector, expected)
    }

    private func apply(_ path: starling_mask_path, seed: SymmetricKey, to vector: inout [UInt32], subtract: Bool)
        -> Bool
    {
        seed.withUnsafeBytes { key in
            vector.withUnsafeMutableBufferPointer { words in
                starling_mask_apply_on(
                    path, key.baseAddress?.assumingMemoryBound(to: UInt8.self), words.baseAddress, words.count,
                    subtract ? 1 : 0) == 1
            }
        }
    }
}
