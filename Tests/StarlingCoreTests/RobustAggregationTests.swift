import Foundation
import XCTest

@testable import StarlingCore

final class RobustAggregationTests: XCTestCase {
    private func aggregate(_ deltas: [[Float]], weights: [Int]? = nil, rule: AggregationRule) throws -> [Float] {
        let weights = weights ?? Array(repeating: 1, count: deltas.count)
        return try RobustAggregation.aggregate(zip(weights, deltas).map { (weight: $0, delta: $1) }, rule: rule)
    }

    func testMedianOfAnOddCountIsTheMiddleValueOfEachCoordinate() throws {
        XCTAssertEqual(try aggregate([[1, 10], [5, -2], [3, 4]], rule: .median), [3, 4])
    }

    func testMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() throws {
        XCTAssertEqual(try aggregate([[1, -1], [2, 0], [10, 7], [4, 9]], rule: .median), [3, 3.5])
        XCTAssertEqual(try aggregate([[6], [-2]], rule: .median), [2])
    }

    func testMedianIgnoresTheWeights() throws {
        XCTAssertEqual(try aggregate([[1], [2], [30]], weights: [1000, 1, 1], rule: .median), [2])
    }

    func testTrimmedMeanDropsTheFloorOfBetaTimesMValuesFromEachEnd() throws {
        let deltas: [[Float]] = [[100], [1], [2], [3], [-50]]
        XCTAssertEqual(try aggregate(deltas, rule: .trimmedMean(trim: 0.2)), [2])  // ⌊1.0⌋ = 1 from each end
        XCTAssertEqual(try aggregate(deltas, rule: .trimmedMean(trim: 0.39)), [2])  // ⌊1.95⌋ = 1
        XCTAssertEqual(try aggregate(deltas, rule: .trimmedMean(trim: 0.4)), [2])  // ⌊2.0⌋ = 2: the median
        XCTAssertEqual(try aggregate(deltas, rule: .trimmedMean(trim: 0.19)), [11.2])  // ⌊0.95⌋ = 0: the mean
        XCTAssertEqual(try aggregate([[4], [0], [1], [3]], rule: .trimmedMean(trim: 0.25)), [2])  // 1 and 3 kept
    }

    func testMeanIsWeightedBySampleCounts() throws {
        XCTAssertEqual(try aggregate([[0, 8], [4, 0], [100, 100]], weights: [1, 3, 0], rule: .mean), [3, 2])
    }

    func testTwoAttackersPullTheMeanFarAwayButNotTheMedianOrTheTrimmedMean() throws {
        var rng = SeededRNG(seed: 1337)
        let dimension = 64
        let truth = (0..<dimension).map { _ in Float(rng.nextGaussian()) }
        let honest = (0..<10).map { _ in truth.map { $0 + Float(0.1 * rng.nextGaussian()) } }
        let weights = (0..<12).map { _ in 10 + Int(rng.next() % 91) }
        let attacks: [(name: String, attack: (Float) -> Float, meanErrorAtLeast: Double)] = [
            ("scaled ×100", { 100 * $0 }, 10),
            ("sign-flipped ×100", { -100 * $0 }, 10),
            ("sign-flipped", { -$0 }, 0.15),
        ]
        for (name, attack, meanErrorAtLeast) in attacks {
            let byzantine = honest[..<2].map { $0.map(attack) }
            let deltas = honest + byzantine
            let error = { (rule: AggregationRule) throws -> Double in
                Self.relativeError(try self.aggregate(deltas, weights: weights, rule: rule), truth)
            }
            XCTAssertGreaterThan(try error(.mean), meanErrorAtLeast, name)
            XCTAssertLessThan(try error(.median), 0.1, name)
            XCTAssertLessThan(try error(.trimmedMean(trim: 0.2)), 0.1, name)
        }
    }

    func testInvalidInputsAreRejectedWithTheOffendingUpdate() {
        func failure(_ deltas: [[Float]], weights: [Int]? = nil, rule: AggregationRule = .mean) -> AggregationError? {
            let weights = weights ?? Array(repeating: 1, count: deltas.count)
            return thrownError { () throws(AggregationError) in
                try RobustAggregation.aggregate(zip(weights, deltas).map { (weight: $0, delta: $1) }, rule: rule)
            }
        }
        XCTAssertEqual(failure([]), .noUpdates)
        XCTAssertEqual(failure([[1, 2], [1, 2], [3]]), .lengthMismatch(index: 2, expected: 2, actual: 1))
        XCTAssertEqual(failure([[1], [2]], weights: [1, -1], rule: .median), .negativeWeight(index: 1, weight: -1))
        XCTAssertEqual(failure([[1], [2]], weights: [0, 0]), .noWeight)
        XCTAssertEqual(failure([[1, 2], [3, .nan]], rule: .median), .nonFiniteDelta(index: 1, coordinate: 1))
        XCTAssertEqual(failure([[.infinity]], rule: .mean), .nonFiniteDelta(index: 0, coordinate: 0))
        XCTAssertEqual(failure([[1]], rule: .trimmedMean(trim: 0.5)), .invalidTrim(0.5))
        XCTAssertEqual(failure([[1]], rule: .trimmedMean(trim: -0.1)), .invalidTrim(-0.1))
        guard case .invalidTrim(let trim) = failure([[1]], rule: .trimmedMean(trim: .nan)), trim.isNaN else {
            return XCTFail("a NaN trim was accepted")
        }
    }

    func testHugeClaimedWeightsDoNotOverflowTheMean() throws {
        XCTAssertEqual(try aggregate([[2], [4]], weights: [.max, .max], rule: .mean), [3])
    }

    func testRuleEncodesAsJSONAndBack() throws {
        for rule in [AggregationRule.mean, .median, .trimmedMean(trim: 0.1)] {
            let data = try JSONEncoder().encode(rule)
            XCTAssertEqual(try JSONDecoder().decode(AggregationRule.self, from: data), rule)
        }
    }

    /// ‖estimate − truth‖ / ‖truth‖.
    private static func relativeError(_ estimate: [Float], _ truth: [Float]) -> Double {
        let difference = zip(estimate, truth).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = truth.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (difference / norm).squareRoot()
    }
}
