import Quantization
import StarlingProtocol
import XCTest

@testable import StarlingAgent

/// The smoke test's figures on samples whose answers are known.
final class SmokeTestTests: XCTestCase {
    /// toy@3 is sure of (1, 0) → "a" and (0, 1) → "b", torn on (1, 1) (below its 0.8 threshold), and
    /// takes two features.
    func test_measure_countsCorrectFailedAndEscalatedAnswers() throws {
        let samples = [
            LabelledSample(features: [1, 0], label: "a"),
            LabelledSample(features: [0, 1], label: "b"),
            LabelledSample(features: [1, 0], label: "b"),
            LabelledSample(features: [1, 1], label: "c"),
            LabelledSample(features: [1, 0, 0], label: "a"),
        ]
        let test = SmokeTest.measure(try makeToyModel(), on: samples)
        XCTAssertEqual(test.model, "toy")
        XCTAssertEqual(test.version, 3)
        XCTAssertEqual(test.samples, 5)
        XCTAssertEqual(test.accuracy, 0.4)
        XCTAssertEqual(test.errorRate, 0.2, "the sample of the wrong width has no answer")
        XCTAssertEqual(test.escalationRate, 0.2, "only (1, 1) is below the threshold")
        XCTAssertGreaterThan(test.latencyMs, 0)
        XCTAssertLessThan(test.latencyMs, 1_000)
    }

    func test_measure_onNoSamples_hasNoAccuracy() throws {
        let test = SmokeTest.measure(try makeToyModel(), on: [])
        XCTAssertEqual(test.samples, 0)
        XCTAssertNil(test.accuracy)
        XCTAssertEqual(test.latencyMs, 0)
        XCTAssertEqual(test.errorRate, 0)
    }

    func test_median_ofOddAndEvenCounts() {
        XCTAssertEqual(SmokeTest.median([5, 1, 3]), 3)
        XCTAssertEqual(SmokeTest.median([4, 1, 3, 2]), 2.5)
        XCTAssertEqual(SmokeTest.median([]), 0)
    }
}
