import Foundation

@testable import StarlingCore

/// Seeded synthetic columns shaped like fleet data, and the profile of a set of them.
enum SyntheticFeatures {
    static func gaussian(_ count: Int, mean: Double = 0, std: Double = 1, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in Float(mean + std * rng.nextGaussian()) }
    }

    /// 10^N(0, 1): a log-normal whose bulk spans about six decades, 1e-3…1e3.
    static func logNormal(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in Float(pow(10, rng.nextGaussian())) }
    }

    /// A raw pixel intensity 0…255 that is lit (uniformly 1…255) with probability `lit`.
    static func pixel(_ count: Int, lit: Double, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in rng.nextDouble() < lit ? Float(1 + rng.nextInt(below: 255)) : 0 }
    }

    /// Poisson(λ) counts by inversion.
    static func poisson(_ count: Int, lambda: Double, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in
            var k = 0, p = exp(-lambda), cumulative = p
            let u = rng.nextDouble()
            while u > cumulative {
                k += 1
                p *= lambda / Double(k)
                cumulative += p
            }
            return Float(k)
        }
    }

    /// Columns of equal length as row-major rows.
    static func rows(_ columns: [[Float]]) -> [Float] {
        let count = columns.first?.count ?? 0
        return (0..<count).flatMap { row in columns.map { $0[row] } }
    }

    /// The one-device profile of `columns`.
    static func profile(_ columns: [[Float]], grid: LogBucketGrid = .standard) throws -> FeatureProfile {
        var statistics = FeatureStatistics(width: columns.count, grid: grid)
        statistics.add(features: rows(columns), rows: columns.first?.count ?? 0)
        return try FeatureProfile(name: "synthetic", version: 1, statistics: statistics, devices: 1)
    }
}
