import XCTest

@testable import Privacy

final class NoiseCalibrationTests: XCTestCase {
    private func epsilon(q: Double, sigma: Double, steps: Int, delta: Double) throws -> Double {
        var accountant = try PrivacyAccountant()
        try accountant.compose(SampledGaussianMechanism(samplingRate: q, noiseMultiplier: sigma), steps: steps)
        return try accountant.epsilon(delta: delta).epsilon
    }

    /// The σ found meets the target, and one a little smaller (by twice the tolerance) does not.
    func testNoiseForEpsilonGivesBackEpsilon() throws {
        let tolerance = 1e-9
        for (q, steps, target, delta) in [
            (0.01, 1000, 2.0, 1e-5), (0.1, 100, 0.5, 1e-7), (1.0, 10, 8.0, 1e-5), (0.001, 10000, 1.0, 1e-6),
        ] {
            let sigma = try NoiseCalibration.noiseMultiplier(
                samplingRate: q, steps: steps, epsilon: target, delta: delta, relativeTolerance: tolerance)
            let context = "q \(q) steps \(steps) epsilon \(target)"
            XCTAssertLessThanOrEqual(try epsilon(q: q, sigma: sigma, steps: steps, delta: delta), target, context)
            XCTAssertGreaterThan(
                try epsilon(q: q, sigma: sigma * (1 - 2 * tolerance), steps: steps, delta: delta), target, context)
            assertClose(try epsilon(q: q, sigma: sigma, steps: steps, delta: delta), target, relative: 1e-6, context)
        }
    }

    func testNoNoiseIsNeededWhenNothingIsSampledOrNothingRuns() throws {
        XCTAssertEqual(try NoiseCalibration.noiseMultiplier(samplingRate: 0, steps: 100, epsilon: 1, delta: 1e-5), 0)
        XCTAssertEqual(try NoiseCalibration.noiseMultiplier(samplingRate: 0.5, steps: 0, epsilon: 1, delta: 1e-5), 0)
    }

    func testTargetsBeyondTheSearchLimitAreImpossible() {
        XCTAssertThrowsError(
            try NoiseCalibration.noiseMultiplier(samplingRate: 1, steps: 100_000_000, epsilon: 1e-4, delta: 1e-5)
        ) { error in
            XCTAssertEqual(
                error as? PrivacyError,
                .calibrationImpossible(epsilon: 1e-4, limit: NoiseCalibration.noiseMultiplierLimit))
        }
    }
}
