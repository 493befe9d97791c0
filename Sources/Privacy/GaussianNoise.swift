import Foundation

/// Gaussian noise for DP-SGD and central DP: N(0, σ²) samples from a ``SecureRandom`` stream by the
/// Box–Muller transform, two per pair of uniforms.
public enum GaussianNoise {
    /// Adds N(0, standardDeviation²) to every element of `values`.
    public static func add(standardDeviation: Double, to values: inout [Float], using random: inout SecureRandom) {
        guard standardDeviation > 0 else { return }
        var index = 0
        while index < values.count {
            let radius = (-2 * log(random.nextOpenUnit())).squareRoot() * standardDeviation
            let angle = 2 * Double.pi * random.nextOpenUnit()
            values[index] += Float(radius * cos(angle))
            if index + 1 < values.count { values[index + 1] += Float(radius * sin(angle)) }
            index += 2
        }
    }
}
