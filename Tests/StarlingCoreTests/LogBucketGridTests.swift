import Foundation
import XCTest

@testable import StarlingCore

/// The log-bucket grid puts every value into the bucket its edges say, the same on every platform.
final class LogBucketGridTests: XCTestCase {
    private let grid = LogBucketGrid.standard

    func testTheStandardGridHas243BucketsWithFourteenPercentRelativeAccuracy() {
        XCTAssertEqual(grid.magnitudeBucketCount, 120)
        XCTAssertEqual(grid.bucketCount, 243)
        XCTAssertEqual(grid.zeroIndex, 121)
        XCTAssertEqual(grid.gamma, pow(10, 1.0 / 8), accuracy: 1e-14)
        XCTAssertEqual(grid.relativeAccuracy, 0.1429, accuracy: 1e-4)
    }

    func testEveryEdgeBelongsToTheBucketAboveItOnThePositiveSideAndBelowItOnTheNegativeSide() {
        let m = grid.magnitudeBucketCount
        for index in (m + 2)...(2 * m + 1) {
            let lower = grid.lowerEdge(index), upper = grid.upperEdge(index)
            XCTAssertLessThan(lower, upper)
            XCTAssertEqual(grid.index(of: lower), index, "lower edge of \(index)")
            XCTAssertEqual(grid.index(of: upper.nextDown), index, "just below the upper edge of \(index)")
            XCTAssertEqual(grid.index(of: upper), index + 1, "upper edge of \(index)")
            let mirror = 2 * m + 2 - index
            XCTAssertEqual(grid.lowerEdge(mirror), -upper)
            XCTAssertEqual(grid.upperEdge(mirror), -lower)
            XCTAssertEqual(grid.index(of: -lower), mirror, "−(lower edge) of \(mirror)")
            XCTAssertEqual(grid.index(of: (-upper).nextUp), mirror)
            XCTAssertEqual(grid.index(of: -upper), mirror - 1)
        }
    }

    func testZeroAndClippedBucketsTakeTinyAndOutOfRangeValues() {
        for value in [0, -0.0, 1e-7, -1e-7, grid.smallest.nextDown, -grid.smallest.nextDown] {
            XCTAssertEqual(grid.index(of: value), grid.zeroIndex, "\(value)")
        }
        XCTAssertEqual(grid.index(of: grid.smallest), grid.zeroIndex + 1)
        XCTAssertEqual(grid.index(of: -grid.smallest), grid.zeroIndex - 1)
        XCTAssertEqual(grid.index(of: grid.largest.nextDown), grid.positiveClippedIndex - 1)
        for value in [grid.largest, 1e30, .infinity, Double(Float.greatestFiniteMagnitude)] {
            XCTAssertEqual(grid.index(of: value), grid.positiveClippedIndex, "\(value)")
            XCTAssertEqual(grid.index(of: -value), grid.negativeClippedIndex, "\(-value)")
        }
        XCTAssertTrue(grid.isClipped(0) && grid.isClipped(242) && !grid.isClipped(121))
        XCTAssertEqual(grid.lowerEdge(0), -.infinity)
        XCTAssertEqual(grid.upperEdge(242), .infinity)
    }

    func testDecadeEdgesArePowersOfTenAndEveryEdgeIsPinnedToItsBitPattern() {
        for decade in 0...15 {
            let index = grid.zeroIndex + 1 + 8 * decade
            let edge = decade == 15 ? grid.upperEdge(index - 1) : grid.lowerEdge(index)
            XCTAssertEqual(edge, 1e-6 * pow(10, Double(decade)), accuracy: 1e-15 * edge)
        }
        // The edges are made of correctly rounded operations only, so their bits are the same
        // everywhere; a platform computing any of them differently fails here.
        let bits = (grid.zeroIndex + 1...grid.positiveClippedIndex - 1).map { grid.lowerEdge($0).bitPattern }
        let checksum = bits.reduce(UInt64(0)) { ($0 &* 31) &+ $1 }
        XCTAssertEqual(checksum, Self.standardEdgeChecksum)
    }

    static let standardEdgeChecksum: UInt64 = 8_867_961_774_608_726_664

    func testTheRepresentativeIsWithinTheRelativeAccuracyOfEveryValueInItsBucket() {
        var rng = SeededRNG(seed: 11)
        for _ in 0..<20_000 {
            let magnitude = pow(10, -6 + 15 * rng.nextDouble())
            let value = rng.nextDouble() < 0.5 ? -magnitude : magnitude
            let representative = grid.representative(grid.index(of: value))
            XCTAssertLessThanOrEqual(
                abs(representative - value) / abs(value), grid.relativeAccuracy * (1 + 1e-12), "\(value)")
        }
        XCTAssertEqual(grid.representative(grid.zeroIndex), 0)
        XCTAssertEqual(grid.representative(grid.positiveClippedIndex), 1e9)
    }

    func testCodableKeepsTheParametersAndTheLayoutVersionAndRejectsOthers() throws {
        let custom = try LogBucketGrid(smallest: 1e-3, largest: 1e3, bucketsPerDecade: 4)
        XCTAssertEqual(custom.bucketCount, 2 * 24 + 3)
        let json = try JSONEncoder().encode(custom)
        XCTAssertEqual(try JSONDecoder().decode(LogBucketGrid.self, from: json), custom)
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains(#""version":1"#))
        let future = #"{"version":2,"smallest":1e-6,"largest":1e9,"bucketsPerDecade":8}"#
        XCTAssertThrowsError(try JSONDecoder().decode(LogBucketGrid.self, from: Data(future.utf8)))
        let uneven = #"{"version":1,"smallest":1e-6,"largest":5e8,"bucketsPerDecade":8}"#
        XCTAssertThrowsError(try JSONDecoder().decode(LogBucketGrid.self, from: Data(uneven.utf8)))
    }

    func testRejectsUnusableParameters() {
        XCTAssertThrowsError(try LogBucketGrid(smallest: 0, largest: 1, bucketsPerDecade: 8))
        XCTAssertThrowsError(try LogBucketGrid(smallest: 1, largest: 1, bucketsPerDecade: 8))
        XCTAssertThrowsError(try LogBucketGrid(smallest: 1e-6, largest: 1e9, bucketsPerDecade: 10))
        XCTAssertThrowsError(try LogBucketGrid(smallest: 1e-6, largest: 3e9, bucketsPerDecade: 8))
        XCTAssertThrowsError(try LogBucketGrid(smallest: 1e-30, largest: 1e30, bucketsPerDecade: 8))
        XCTAssertNoThrow(try LogBucketGrid(smallest: 1, largest: 10, bucketsPerDecade: 64))
    }
}
