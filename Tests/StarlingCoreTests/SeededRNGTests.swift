import XCTest

@testable import StarlingCore

final class SeededRNGTests: XCTestCase {
    func testSplitMix64MatchesReferenceOutputForSeedZero() {
        // Reference values from Vigna's splitmix64.c with x = 0.
        var state: UInt64 = 0
        XCTAssertEqual(SeededRNG.splitMix64(&state), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(SeededRNG.splitMix64(&state), 0x6E78_9E6A_A1B9_65F4)
    }

    func testSameSeedGivesSameSequenceAndDifferentSeedsDiffer() {
        var a = SeededRNG(seed: 42), b = SeededRNG(seed: 42), c = SeededRNG(seed: 43)
        let sequenceA = (0..<8).map { _ in a.next() }
        XCTAssertEqual(sequenceA, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(sequenceA, (0..<8).map { _ in c.next() })
    }

    func testGaussianSamplesHaveMeanZeroAndUnitVariance() {
        var rng = SeededRNG(seed: 7)
        let samples = (0..<20_000).map { _ in rng.nextGaussian() }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    func testBoundedIntegersStayInRangeAndShuffleIsAPermutation() {
        var rng = SeededRNG(seed: 1)
        XCTAssertTrue((0..<1000).allSatisfy { _ in (0..<7).contains(rng.nextInt(below: 7)) })
        var values = Array(0..<50)
        rng.shuffle(&values)
        XCTAssertNotEqual(values, Array(0..<50))
        XCTAssertEqual(values.sorted(), Array(0..<50))
    }
}
