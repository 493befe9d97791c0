import CStarlingInt8
import StarlingCore

/// int32 results of one kernel path for `a` [m][k] × `w` [n][k]ᵀ, packing the weights first.
func gemm(_ path: starling_i8_path, m: Int, n: Int, k: Int, a: [Int8], w: [Int8]) -> [Int32] {
    let size = starling_i8_packed_size(path, Int32(n), Int32(k))
    let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { packed.deallocate() }
    w.withUnsafeBufferPointer { starling_i8_pack(path, Int32(n), Int32(k), $0.baseAddress, packed) }
    var c = [Int32](repeating: .min, count: m * n)
    a.withUnsafeBufferPointer { a in
        c.withUnsafeMutableBufferPointer { c in
            starling_i8_gemm(path, Int32(m), Int32(n), Int32(k), a.baseAddress, packed, c.baseAddress)
        }
    }
    return c
}

/// Uniform int8 values over the full range −128…127.
func randomInt8(_ count: Int, _ rng: inout SeededRNG) -> [Int8] {
    (0..<count).map { _ in Int8(truncatingIfNeeded: rng.next()) }
}

/// Every non-portable path this machine runs.
var vectorPaths: [starling_i8_path] {
    (1..<STARLING_I8_PATH_COUNT).map { starling_i8_path(rawValue: UInt32($0)) }.filter {
        starling_i8_path_supported($0) != 0
    }
}

func pathName(_ path: starling_i8_path) -> String { String(cString: starling_i8_path_name(path)) }
