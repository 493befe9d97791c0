import XCTest

@testable import Privacy

final class InputValidationTests: XCTestCase {
    private func assertThrows<T>(_ expected: PrivacyError, _ body: () throws(PrivacyError) -> T, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("no error, expected \(expected)", line: line)
        } catch {
            XCTAssertEqual(error, expected, line: line)
        }
    }

    func testBadInputsGiveTypedErrors() throws {
        assertThrows(.samplingRateOutOfRange(1.5)) { () throws(PrivacyError) in
            try SampledGaussianMechanism(samplingRate: 1.5, noiseMultiplier: 1)
        }
        assertThrows(.samplingRateOutOfRange(-0.1)) { () throws(PrivacyError) in
            try SampledGaussianMechanism(samplingRate: -0.1, noiseMultiplier: 1)
        }
        assertThrows(.invalidNoiseMultiplier(-1)) { () throws(PrivacyError) in
            try SampledGaussianMechanism(samplingRate: 0.1, noiseMultiplier: -1)
        }
        assertThrows(.invalidOrders) { () throws(PrivacyError) in try PrivacyAccountant(orders: []) }
        assertThrows(.invalidOrders) { () throws(PrivacyError) in try PrivacyAccountant(orders: [2, 1]) }
        assertThrows(.invalidOrders) { () throws(PrivacyError) in try PrivacyAccountant(orders: [2, .infinity]) }
        assertThrows(.invalidOrders) { () throws(PrivacyError) in try PrivacyAccountant(orders: [2, .nan]) }
        assertThrows(.invalidNoiseMultiplier(.infinity)) { () throws(PrivacyError) in
            try SampledGaussianMechanism(samplingRate: 0.1, noiseMultiplier: .infinity)
        }

        var accountant = try PrivacyAccountant()
        let mechanism = try SampledGaussianMechanism(samplingRate: 0.1, noiseMultiplier: 1)
        assertThrows(.negativeSteps(-1)) { () throws(PrivacyError) in try accountant.compose(mechanism, steps: -1) }
        for delta in [0, 1, -1e-5, 2] {
            assertThrows(.deltaOutOfRange(delta)) { () throws(PrivacyError) in try accountant.epsilon(delta: delta) }
        }
        for epsilon in [0, -1, Double.infinity] {
            assertThrows(.nonPositiveEpsilon(epsilon)) { () throws(PrivacyError) in
                try accountant.delta(epsilon: epsilon)
            }
            assertThrows(.nonPositiveEpsilon(epsilon)) { () throws(PrivacyError) in
                try NoiseCalibration.noiseMultiplier(samplingRate: 0.1, steps: 10, epsilon: epsilon, delta: 1e-5)
            }
        }
        assertThrows(.samplingRateOutOfRange(2)) { () throws(PrivacyError) in
            try NoiseCalibration.noiseMultiplier(samplingRate: 2, steps: 10, epsilon: 1, delta: 1e-5)
        }
        assertThrows(.negativeSteps(-3)) { () throws(PrivacyError) in
            try NoiseCalibration.noiseMultiplier(samplingRate: 0.1, steps: -3, epsilon: 1, delta: 1e-5)
        }
        assertThrows(.deltaOutOfRange(1)) { () throws(PrivacyError) in
            try NoiseCalibration.noiseMultiplier(samplingRate: 0.1, steps: 10, epsilon: 1, delta: 1)
        }
    }

    func testMessagesAreOneSentence() {
        let errors: [PrivacyError] = [
            .samplingRateOutOfRange(2), .invalidNoiseMultiplier(-1), .deltaOutOfRange(0), .negativeSteps(-1),
            .nonPositiveEpsilon(0), .invalidOrders, .calibrationImpossible(epsilon: 1e-4, limit: 1e6),
        ]
        for error in errors {
            XCTAssertTrue(error.description.hasSuffix("."), error.description)
            XCTAssertFalse(error.description.dropLast().contains(". "), error.description)
            XCTAssertFalse(error.description.contains("\n"), error.description)
        }
    }

    func testNothingComposedCostsNothing() throws {
        var accountant = try PrivacyAccountant()
        try accountant.compose(SampledGaussianMechanism(samplingRate: 0.5, noiseMultiplier: 0.5), steps: 0)
        XCTAssertEqual(try accountant.epsilon(delta: 1e-5).epsilon, 0)
        XCTAssertEqual(try accountant.delta(epsilon: 0.1).delta, 0)
    }

    func testNoNoiseMeansNoBound() throws {
        var accountant = try PrivacyAccountant()
        try accountant.compose(SampledGaussianMechanism(samplingRate: 0.5, noiseMultiplier: 0), steps: 1)
        XCTAssertEqual(try accountant.epsilon(delta: 1e-5).epsilon, .infinity)
        XCTAssertEqual(try accountant.delta(epsilon: 10).delta, 1)
    }
}
