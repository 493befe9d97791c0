internal import CStarlingInt8

/// One implementation of the int8 matrix kernel: portable C or one instruction-set extension.
///
/// Exists so callers (the runtime, tests, benchmarks) can name, list and force a path. Every path
/// returns bit-identical int32 results, so the choice changes speed only. The best supported path is
/// picked at run time from CPU features; environment variable `STARLING_I8_PATH` (e.g. `portable`)
/// forces one for tests.
public enum Int8KernelPath: String, Sendable, CaseIterable, CustomStringConvertible {
    case portable = "portable"
    case avx2 = "avx2"
    case avxVNNI = "avx_vnni"
    case avx512VNNI = "avx512_vnni"
    case neon = "neon"
    case neonDotProduct = "neon_dotprod"

    /// The fastest path this machine supports, or the one named by `STARLING_I8_PATH` if supported.
    public static var best: Int8KernelPath {
        Int8KernelPath(starling_i8_best_path())
    }

    /// Every path this build and CPU can run, portable first.
    public static var supported: [Int8KernelPath] {
        allCases.filter(\.isSupported)
    }

    /// Whether this build and CPU (including OS support for the vector registers) can run the path.
    public var isSupported: Bool {
        starling_i8_path_supported(cValue) != 0
    }

    /// The name used by `STARLING_I8_PATH`, e.g. `avx512_vnni`.
    public var description: String { rawValue }

    var cValue: starling_i8_path {
        switch self {
        case .portable: STARLING_I8_PORTABLE
        case .avx2: STARLING_I8_AVX2
        case .avxVNNI: STARLING_I8_AVX_VNNI
        case .avx512VNNI: STARLING_I8_AVX512_VNNI
        case .neon: STARLING_I8_NEON
        case .neonDotProduct: STARLING_I8_NEON_DOTPROD
        }
    }

    init(_ path: starling_i8_path) {
        switch path {
        case STARLING_I8_AVX2: self = .avx2
        case STARLING_I8_AVX_VNNI: self = .avxVNNI
        case STARLING_I8_AVX512_VNNI: self = .avx512VNNI
        case STARLING_I8_NEON: self = .neon
        case STARLING_I8_NEON_DOTPROD: self = .neonDotProduct
        default: self = .portable
        }
    }
}
