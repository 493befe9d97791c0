import Foundation
import XCTest

@testable import StarlingCore

/// A device's feature statistics are plain sums that never contain a non-finite value.
final class FeatureStatisticsTests: XCTestCase {
    private func randomRows(_ rows: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<rows).flatMap { _ -> [Float] in
            [Float(rng.nextGaussian()), Float(pow(10, 6 * rng.nextDouble() - 3)), rng.nextDouble() < 0.9 ? 0 : 255]
        }
    }

    func testAddCountsSumsSquaresAndBucketsPerFeature() {
        var statistics = FeatureStatistics(width: 2)
        statistics.add(features: [1, -2, 3, 0, -0.5, 1e12], rows: 3)
        XCTAssertEqual(statistics.rows, 3)
        XCTAssertEqual(statistics.counts, [3, 3])
        let big = Double(Float(1e12))
        XCTAssertEqual(statistics.sums, [3.5, -2 + big])
        XCTAssertEqual(statistics.sumsOfSquares, [10.25, 4 + big * big])
        let grid = statistics.grid
        let first = statistics.histogram(ofFeature: 0)
        XCTAssertEqual(first[first.startIndex + grid.index(of: 1)], 1)
        XCTAssertEqual(first[first.startIndex + grid.index(of: -0.5)], 1)
        let second = statistics.histogram(ofFeature: 1)
        XCTAssertEqual(second[second.startIndex + grid.zeroIndex], 1)
        XCTAssertEqual(second[second.startIndex + grid.positiveClippedIndex], 1)
        XCTAssertEqual(second.reduce(0, +), 3)
    }

    func testNonFiniteValuesAreCountedAsRejectedAndNeverReachASum() {
        var statistics = FeatureStatistics(width: 2)
        statistics.add(features: [.nan, 1, .infinity, 2, -.infinity, .nan], rows: 3)
        XCTAssertEqual(statistics.counts, [0, 2])
        XCTAssertEqual(statistics.rejectedValues, [3, 1])
        XCTAssertEqual(statistics.sums, [0, 3])
        XCTAssertTrue((statistics.sums + statistics.sumsOfSquares).allSatisfy(\.isFinite))
        XCTAssertEqual(statistics.histogram(ofFeature: 0).reduce(0, +), 0)
    }

    func testMergingTwoDevicesEqualsAddingAllTheirRowsOnOne() throws {
        let a = randomRows(400, seed: 1), b = randomRows(300, seed: 2)
        var first = FeatureStatistics(width: 3), second = FeatureStatistics(width: 3),
            both = FeatureStatistics(width: 3)
        first.add(features: a, rows: 400)
        second.add(features: b, rows: 300)
        both.add(features: a + b, rows: 700)
        try first.merge(second)
        XCTAssertEqual(first.rows, 700)
        XCTAssertEqual(first.counts, both.counts)
        XCTAssertEqual(first.bucketCounts, both.bucketCounts)
        for j in 0..<3 {
            XCTAssertEqual(first.sums[j], both.sums[j], accuracy: 1e-12 * max(1, abs(both.sums[j])))
            XCTAssertEqual(first.sumsOfSquares[j], both.sumsOfSquares[j], accuracy: 1e-12 * both.sumsOfSquares[j])
        }
    }

    func testMergeRefusesOtherWidthsAndGrids() throws {
        var statistics = FeatureStatistics(width: 2)
        assertThrows(
            try statistics.merge(FeatureStatistics(width: 3)),
            equalTo: FeatureStatisticsError.widthMismatch(expected: 2, actual: 3))
        let coarse = try LogBucketGrid(smallest: 1e-3, largest: 1e3, bucketsPerDecade: 2)
        assertThrows(
            try statistics.merge(FeatureStatistics(width: 2, grid: coarse)),
            equalTo: FeatureStatisticsError.gridMismatch)
    }

    func testFieldsAreValidatedWhenStatisticsAreBuiltFromThem() throws {
        var valid = FeatureStatistics(width: 1)
        valid.add(features: [2, 3], rows: 2)
        func rebuild(
            rows: Int? = nil, counts: [Int]? = nil, sums: [Double]? = nil, squares: [Double]? = nil,
            buckets: [Int]? = nil
        ) throws(FeatureStatisticsError) -> FeatureStatistics {
            try FeatureStatistics(
                width: 1, grid: valid.grid, rows: rows ?? valid.rows, counts: counts ?? valid.counts,
                rejectedValues: valid.rejectedValues, sums: sums ?? valid.sums,
                sumsOfSquares: squares ?? valid.sumsOfSquares, bucketCounts: buckets ?? valid.bucketCounts)
        }
        XCTAssertEqual(try rebuild(), valid)
        XCTAssertThrowsError(try rebuild(rows: 3), "counts and rejected must add up to the rows")
        XCTAssertThrowsError(try rebuild(sums: [.nan]))
        XCTAssertThrowsError(try rebuild(squares: [-1]))
        XCTAssertThrowsError(try rebuild(counts: [1, 1]))
        var buckets = valid.bucketCounts
        buckets[valid.grid.zeroIndex] += 1
        XCTAssertThrowsError(try rebuild(buckets: buckets), "the histogram must hold exactly the counted values")
    }
}
