import CStarlingInt8
import Quantization
import StarlingCore
import XCTest

/// Each vector kernel path against the portable one: bit-identical int32 results.
final class Int8KernelPathTests: XCTestCase {
    /// Hand-picked shapes: primes, tails of every block size (4, 8, 16, 64 channels; 2, 4, 16 k),
    /// the benchmark models' layers, and k above the AVX2 chunk.
    private let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 10, 64), (1, 32, 64), (1, 128, 784), (1, 64, 128), (2, 3, 5), (3, 17, 31),
        (4, 16, 64), (5, 33, 127), (7, 64, 3), (64, 128, 784), (13, 47, 257), (1, 300, 300),
        (300, 1, 1), (31, 61, 293), (8, 65, 17), (9, 15, 2), (6, 7, 1031), (2, 257, 11), (64, 10, 64),
    ]

    func test_everySupportedPath_matchesPortableBitForBit_onListedShapes() {
        XCTAssertFalse(vectorPaths.isEmpty, "an x86-64 or aarch64 machine runs at least one vector path")
        var rng = SeededRNG(seed: 1337)
        for (m, n, k) in shapes {
            let a = randomInt8(m * k, &rng), w = randomInt8(n * k, &rng)
            let expected = gemm(STARLING_I8_PORTABLE, m: m, n: n, k: k, a: a, w: w)
            for path in vectorPaths {
                XCTAssertEqual(
                    gemm(path, m: m, n: n, k: k, a: a, w: w), expected, "\(pathName(path)) m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    func test_everySupportedPath_matchesPortableBitForBit_onRandomShapesUpTo300() {
        var rng = SeededRNG(seed: 2024)
        for _ in 0..<60 {
            let m = 1 + rng.nextInt(below: 300), n = 1 + rng.nextInt(below: 300), k = 1 + rng.nextInt(below: 300)
            let a = randomInt8(m * k, &rng), w = randomInt8(n * k, &rng)
            let expected = gemm(STARLING_I8_PORTABLE, m: m, n: n, k: k, a: a, w: w)
            for path in vectorPaths {
                XCTAssertEqual(
                    gemm(path, m: m, n: n, k: k, a: a, w: w), expected, "\(pathName(path)) m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    func test_everySupportedPath_isExact_atExtremeValues() {
        let cases: [(a: Int8, w: Int8)] = [(-128, -128), (127, 127), (-128, 127), (127, -128)]
        for (m, n, k) in [(1, 1, 1), (3, 17, 301), (5, 19, 2053), (4, 64, 784)] {
            for (aValue, wValue) in cases {
                let a = [Int8](repeating: aValue, count: m * k), w = [Int8](repeating: wValue, count: n * k)
                let exact = Int32(k) * Int32(aValue) * Int32(wValue)
                let expected = [Int32](repeating: exact, count: m * n)
                XCTAssertEqual(gemm(STARLING_I8_PORTABLE, m: m, n: n, k: k, a: a, w: w), expected)
                for path in vectorPaths {
                    XCTAssertEqual(
                        gemm(path, m: m, n: n, k: k, a: a, w: w), expected,
                        "\(pathName(path)) \(aValue)×\(wValue) k=\(k)")
                }
            }
        }
    }

    func test_portablePath_computesTheDefiningSum() {
        let a: [Int8] = [1, -2, 3, 4, 5, -6]  // 2 × 3
        let w: [Int8] = [7, 8, -9, -1, 0, 2]  // 2 × 3
        XCTAssertEqual(gemm(STARLING_I8_PORTABLE, m: 2, n: 2, k: 3, a: a, w: w), [-36, 5, 122, -16])
    }

    func test_zeroRows_producesNoResultsOnEveryPath() {
        let w = [Int8](repeating: 1, count: 12)
        for path in [STARLING_I8_PORTABLE] + vectorPaths {
            XCTAssertEqual(gemm(path, m: 0, n: 3, k: 4, a: [], w: w), [], pathName(path))
        }
    }

    func test_environmentVariable_forcesSupportedPath_andIgnoresUnknownNames() {
        defer { unsetenv("STARLING_I8_PATH") }
        let natural = Int8KernelPath.best
        setenv("STARLING_I8_PATH", "portable", 1)
        XCTAssertEqual(Int8KernelPath.best, .portable)
        for path in Int8KernelPath.supported {
            setenv("STARLING_I8_PATH", path.rawValue, 1)
            XCTAssertEqual(Int8KernelPath.best, path)
        }
        setenv("STARLING_I8_PATH", "no_such_path", 1)
        XCTAssertEqual(Int8KernelPath.best, natural)
    }

    func test_pathNames_roundTripThroughTheCAPI() {
        for path in Int8KernelPath.allCases {
            XCTAssertEqual(
                String(cString: starling_i8_path_name(starling_i8_path(rawValue: UInt32(path.ordinal)))), path.rawValue)
        }
        XCTAssertEqual(String(cString: starling_i8_path_name(starling_i8_path(rawValue: 99))), "unknown")
        XCTAssertTrue(Int8KernelPath.portable.isSupported)
        #if arch(x86_64)
            XCTAssertFalse(Int8KernelPath.neon.isSupported)
        #elseif arch(arm64)
            XCTAssertFalse(Int8KernelPath.avx2.isSupported)
        #endif
    }
}

private extension Int8KernelPath {
    var ordinal: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}
