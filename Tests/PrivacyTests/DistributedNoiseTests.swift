import XCTest

@testable import Privacy

/// The pieces of user-level privacy: the discrete Gaussian sampler has the right distribution, the
/// distributed discrete Gaussian's accounting follows its theorem and its calibration always meets
/// the target, and clipping bounds a device's update.
final class DistributedNoiseTests: XCTestCase {
    /// P(x) of N_Z(0, σ²) for |x| ≤ 60σ + 60, normalised over that range.
    private func pmf(_ sigma: Double) -> [Int: Double] {
        let limit = Int(60 * sigma) + 60
        var weights: [Int: Double] = [:]
        for x in -limit...limit { weights[x] = exp(-Double(x * x) / (2 * sigma * sigma)) }
        let total = weights.values.reduce(0, +)
        return weights.mapValues { $0 / total }
    }

    func testDiscreteGaussianSamplesFollowTheProbabilityMassFunction() {
        let sigma = 1.5
        let draws = 200_000
        var random = SecureRandom(key: [UInt8](repeating: 11, count: 32))
        var counts: [Int64: Int] = [:]
        for _ in 0..<draws {
            counts[DiscreteGaussianNoise.sample(standardDeviation: sigma, using: &random), default: 0] += 1
        }
        let exact = pmf(sigma)
        var chiSquare = 0.0
        var tailObserved = draws
        var tailExpected = 1.0
        for x in -5...5 {
            let expected = exact[x, default: 0] * Double(draws)
            let observed = counts[Int64(x), default: 0]
            chiSquare += (Double(observed) - expected) * (Double(observed) - expected) / expected
            tailObserved -= observed
            tailExpected -= exact[x, default: 0]
        }
        tailExpected *= Double(draws)
        chiSquare += (Double(tailObserved) - tailExpected) * (Double(tailObserved) - tailExpected) / tailExpected
        // 11 cells and a tail: 11 degrees of freedom, whose 99.99th percentile is 35.6.
        XCTAssertLessThan(chiSquare, 35.6)
    }

    func testDiscreteGaussianMomentsMatchAtSmallAndLargeScales() {
        for sigma in [0.6, 2_000.0] {
            let draws = 100_000
            var random = SecureRandom(key: [UInt8](repeating: 12, count: 32))
            var sum = 0.0
            var squares = 0.0
            for _ in 0..<draws {
                let x = Double(DiscreteGaussianNoise.sample(standardDeviation: sigma, using: &random))
                sum += x
                squares += x * x
            }
            // The variance of N_Z(0, σ²) is below σ² for small σ; exact from its mass function.
            let variance = pmf(sigma).reduce(0.0) { $0 + Double($1.key * $1.key) * $1.value }
            let mean = sum / Double(draws)
            XCTAssertEqual(mean, 0, accuracy: 5 * variance.squareRoot() / Double(draws).squareRoot(), "σ = \(sigma)")
            XCTAssertEqual(squares / Double(draws) / variance, 1, accuracy: 0.03, "σ = \(sigma)")
        }
    }

    func testAddingNoiseToAVectorDrawsIndependentlyPerValue() {
        var random = SecureRandom(key: [UInt8](repeating: 13, count: 32))
        var values = [Int64](repeating: 1_000, count: 10_000)
        DiscreteGaussianNoise.add(standardDeviation: 50, to: &values, using: &random)
        XCTAssertGreaterThan(Set(values).count, 300, "values are not all moved alike")
        let deviation = (values.map { Double($0 - 1_000) * Double($0 - 1_000) }.reduce(0, +) / 10_000).squareRoot()
        XCTAssertEqual(deviation, 50, accuracy: 2.5)
    }

    func testTauFollowsItsDefinitionAndVanishesAtSecureAggregationScales() throws {
        let small = try DistributedDiscreteGaussian(
            deviceStandardDeviation: 0.6, parties: 3, dimension: 10, sensitivity: 2)
        let sigmaSquared = 0.36
        let tau = 10 * (exp(-2 * .pi * .pi * sigmaSquared / 2) + exp(-2 * .pi * .pi * sigmaSquared * 2 / 3))
        XCTAssertEqual(small.tau, tau, accuracy: 1e-15)
        XCTAssertEqual(
            small.concentratedEpsilon,
            min(
                (4 / (3 * sigmaSquared) + 0.5 * tau * 10).squareRoot(),
                2 / (3.0.squareRoot() * 0.6) + tau * 10.0.squareRoot()),
            accuracy: 1e-12)
        let large = try DistributedDiscreteGaussian(
            deviceStandardDeviation: 4_000, parties: 50, dimension: 100_000, sensitivity: 1e5)
        XCTAssertEqual(large.tau, 0)
        XCTAssertEqual(large.equivalentNoiseMultiplier, 50.0.squareRoot() * 4_000 / 1e5, accuracy: 1e-12)
    }

    func testCalibrationAlwaysMeetsTheTargetNoiseMultiplierAndBarelyExceedsIt() throws {
        for target in [0.3, 1.0, 4.7] {
            for parties in [1, 2, 7, 100] {
                for sensitivity in [1.0, 30.0, 1e6] {
                    let mechanism = try DistributedDiscreteGaussian.calibrated(
                        noiseMultiplier: target, parties: parties, dimension: 2_410, sensitivity: sensitivity)
                    XCTAssertGreaterThanOrEqual(mechanism.equivalentNoiseMultiplier, target)
                    if mechanism.tau == 0, mechanism.deviceStandardDeviation > 0.5 {
                        XCTAssertEqual(mechanism.equivalentNoiseMultiplier / target, 1, accuracy: 1e-8)
                    }
                }
            }
        }
    }

    func testRoundsOfTheMechanismComposeLikeTheGaussianWithItsEquivalentMultiplier() throws {
        let mechanism = try DistributedDiscreteGaussian.calibrated(
            noiseMultiplier: 1.2, parties: 10, dimension: 1_000, sensitivity: 1e6)
        let gaussian = try SampledGaussianMechanism(
            samplingRate: 1, noiseMultiplier: mechanism.equivalentNoiseMultiplier)
        let tenRounds = try PrivacyAccountant.guarantee(of: [(gaussian, 10)], delta: 1e-5).epsilon
        let direct = try PrivacyAccountant.guarantee(
            of: [(try SampledGaussianMechanism(samplingRate: 1, noiseMultiplier: 1.2), 10)], delta: 1e-5
        ).epsilon
        XCTAssertLessThanOrEqual(tenRounds, direct)
        XCTAssertEqual(tenRounds, direct, accuracy: 1e-6 * direct)
    }

    func testClippingBoundsTheNormAndKeepsTheDirection() {
        let values: [Float] = [3, -4, 0, 12]
        let clipped = UpdateClipping.clip(values, toNorm: 1)
        let norm = clipped.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        XCTAssertLessThanOrEqual(norm, 1)
        XCTAssertEqual(norm, 1, accuracy: 1e-5)
        for (a, b) in zip(values, clipped) { XCTAssertEqual(Double(a) / 13, Double(b), accuracy: 1e-6) }
        XCTAssertEqual(UpdateClipping.clip([0.1, 0.2], toNorm: 1), [0.1, 0.2], "a short update is left alone")
        XCTAssertEqual(UpdateClipping.clip([.nan, 1], toNorm: 1), [0, 0], "a non-finite update contributes nothing")
    }
}
