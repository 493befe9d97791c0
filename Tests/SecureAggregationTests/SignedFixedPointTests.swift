import StarlingCore
import XCTest

@testable import SecureAggregation

/// Signed fixed point modulo 2^32 carries negative values and integer noise through a ring sum.
final class SignedFixedPointTests: XCTestCase {
    func testASumOfNoisyEncodingsDecodesToTheSumOfValuesAndNoise() {
        let codec = SignedFixedPoint(scale: 1_000)
        var rng = SeededRNG(seed: 4)
        let vectors: [[Float]] = (0..<5).map { _ in (0..<50).map { _ in Float(rng.nextGaussian()) } }
        let noise: [[Int64]] = (0..<5).map { _ in (0..<50).map { _ in Int64(rng.nextInt(below: 20_001)) - 10_000 } }
        var ring = [UInt32](repeating: 0, count: 50)
        for (values, extra) in zip(vectors, noise) {
            let words = SignedFixedPoint.wrap(zip(codec.round(values, using: &rng), extra).map { $0 + $1 })
            for index in ring.indices { ring[index] &+= words[index] }
        }
        let decoded = codec.decodeSum(ring)
        for index in 0..<50 {
            let values = vectors.reduce(0.0) { $0 + Double($1[index]) }
            let integers = noise.reduce(0.0) { $0 + Double($1[index]) } / 1_000
            XCTAssertEqual(
                decoded[index], values + integers, accuracy: 5.0 / 1_000, "each summand rounds by under one unit")
        }
    }

    func testStochasticRoundingIsUnbiased() {
        let codec = SignedFixedPoint(scale: 1)
        var rng = SeededRNG(seed: 5)
        let rounded = codec.round([Float](repeating: -0.25, count: 40_000), using: &rng)
        XCTAssertTrue(rounded.allSatisfy { $0 == 0 || $0 == -1 })
        XCTAssertEqual(Double(rounded.reduce(0, +)) / 40_000, -0.25, accuracy: 0.01)
    }

    func testTheChosenScaleLeavesRoomForTheWorstSumAndTenDeviationsOfNoise() {
        for (summands, noise) in [(2, 0.0), (8, 2.3), (1_000, 40.0)] {
            let scale = SignedFixedPoint.scale(
                summands: summands, bound: 1.5, noisePerUnitScale: noise * 1.5, noiseFloor: noise * 50)
            let worst = Double(summands) * (1.5 * scale + 1) + 10 * noise * (1.5 * scale + 50)
            XCTAssertLessThan(worst, 0x1p31, "\(summands) summands, noise \(noise)")
            XCTAssertGreaterThan(1.5 * scale, 1_000, "precision stays fine")
        }
    }
}
