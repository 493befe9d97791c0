#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Gaussian noise for DP-SGD and central DP: N(0, σ²) samples from a ``SecureRandom`` stream by
/// Marsaglia's polar method, two per accepted pair of uniforms (no trigonometry; π/4 of pairs are
/// accepted).
public enum GaussianNoise {
    /// Adds N(0, standardDeviation²) to every element of `values`.
    public static func add(standardDeviation: Double, to values: inout [Float], using random: inout SecureRandom) {
        guard standardDeviation > 0 else { return }
        values.withUnsafeMutableBufferPointer { target in
            var index = 0
            while index < target.count {
                // Uniform in [−1, 1) from the top 53 bits of each word.
                let u = Double(Int64(bitPattern: random.next()) >> 11) * 0x1p-52
                let v = Double(Int64(bitPattern: random.next()) >> 11) * 0x1p-52
                let s = u * u + v * v
                guard s < 1, s > 0 else { continue }
                let factor = (-2 * log(s) / s).squareRoot() * standardDeviation
                target[index] += Float(u * factor)
                if index + 1 < target.count { target[index + 1] += Float(v * factor) }
                index += 2
            }
        }
    }
}
