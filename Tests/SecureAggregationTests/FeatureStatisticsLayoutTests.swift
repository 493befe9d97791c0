import Foundation
import StarlingCore
import XCTest

@testable import SecureAggregation

/// Device statistics travel through Z/2^32 word sums exactly: counts exactly, sums to the
/// fixed-point resolution, whatever their scale and sign.
final class FeatureStatisticsLayoutTests: XCTestCase {
    /// Four features per row: a Gaussian with negatives, a 1e-3-scale feature, a 1e6-scale feature
    /// and a mostly-zero pixel; every 50th row carries a NaN.
    private func deviceStatistics(rows: Int, seed: UInt64) -> FeatureStatistics {
        var rng = SeededRNG(seed: seed)
        var features: [Float] = []
        for row in 0..<rows {
            features += [
                Float(rng.nextGaussian() * 3 - 1), Float(1e-3 * (1 + rng.nextGaussian() * 0.1)),
                Float(1e6 * pow(10, rng.nextGaussian())), row % 50 == 0 ? .nan : (rng.nextDouble() < 0.9 ? 0 : 255),
            ]
        }
        var statistics = FeatureStatistics(width: 4)
        statistics.add(features: features, rows: rows)
        return statistics
    }

    private func ringSum(_ vectors: [[UInt32]]) -> [UInt32] {
        var sum = [UInt32](repeating: 0, count: vectors.first?.count ?? 0)
        for vector in vectors {
            for index in sum.indices { sum[index] &+= vector[index] }
        }
        return sum
    }

    func testWideFixedPointRoundTripsValuesFromTinyToHugeOfEitherSign() {
        for value in [0, 1, -1, 1e-9, -1e-9, 0.1, -123_456.789, 1e17, -1e17, 1e24, -1e24, 7.5e25] {
            let (words, clipped) = WideFixedPoint.encode(value)
            XCTAssertFalse(clipped)
            XCTAssertTrue(words.allSatisfy { $0 < 1 << 20 })
            XCTAssertEqual(WideFixedPoint.decodeSum(words), value, accuracy: 0x1p-41 + 1e-15 * abs(value), "\(value)")
        }
        for value in [1e26, -1e30, .infinity, .nan] {
            let (words, clipped) = WideFixedPoint.encode(value)
            XCTAssertTrue(clipped, "\(value)")
            XCTAssertEqual(abs(WideFixedPoint.decodeSum(words)), value.isNaN ? 0 : 0x1p86)
        }
    }

    func testTheWordSumOf4096MaximalEncodingsDoesNotWrapAndDecodesExactly() {
        let (positive, _) = WideFixedPoint.encode(0x1p86)
        let (negative, _) = WideFixedPoint.encode(-0x1p86)
        XCTAssertTrue((positive + negative).allSatisfy { $0 < 1 << 20 })
        XCTAssertEqual(WideFixedPoint.decodeSum(positive.map { $0 * 4_096 }), 0x1p98, "4096 · (2^20 − 1) < 2^32")
        XCTAssertEqual(WideFixedPoint.decodeSum(negative.map { $0 &* 4_096 }), -0x1p98)
        let mixed = ringSum([positive, negative, WideFixedPoint.encode(2.5).words])
        XCTAssertEqual(WideFixedPoint.decodeSum(mixed), 2.5)
    }

    func testTheRingSumOfDevicesDecodesToTheirMergedStatistics() throws {
        let devices = (0..<7).map { deviceStatistics(rows: 200 + 37 * $0, seed: UInt64(10 + $0)) }
        let encoded = try devices.map { try FeatureStatisticsLayout.encode($0) }
        XCTAssertTrue(encoded.allSatisfy { $0.clippedSums == 0 })
        let length = FeatureStatisticsLayout.vectorLength(width: 4, grid: .standard)
        XCTAssertTrue(encoded.allSatisfy { $0.words.count == length && $0.words.allSatisfy { $0 < 1 << 20 } })

        let (decoded, count) = try FeatureStatisticsLayout.decodeSum(
            ringSum(encoded.map(\.words)), width: 4, grid: .standard)
        var merged = devices[0]
        for device in devices.dropFirst() { try merged.merge(device) }
        XCTAssertEqual(count, 7)
        XCTAssertEqual(decoded.rows, merged.rows)
        XCTAssertEqual(decoded.counts, merged.counts)
        XCTAssertEqual(decoded.rejectedValues, merged.rejectedValues)
        XCTAssertEqual(decoded.bucketCounts, merged.bucketCounts)
        for j in 0..<4 {
            let magnitudes = devices.reduce(0.0) { $0 + abs($1.sums[j]) }
            let resolution = 7 * 0x1p-41
            XCTAssertEqual(decoded.sums[j], merged.sums[j], accuracy: 1e-12 * magnitudes + resolution)
            XCTAssertEqual(
                decoded.sumsOfSquares[j], merged.sumsOfSquares[j],
                accuracy: 1e-12 * merged.sumsOfSquares[j] + resolution)
        }
        XCTAssertGreaterThan(merged.sumsOfSquares[2], 1e14, "a feature of scale 1e6 is in the mix")
        XCTAssertLessThan(merged.sums[1], 10, "and one of scale 1e-3")
    }

    func testStatisticsSurviveMaskedSecureAggregationWithADropout() throws {
        let devices = (0..<5).map { deviceStatistics(rows: 120, seed: UInt64(30 + $0)) }
        let words = try devices.map { try FeatureStatisticsLayout.encode($0).words }
        let parameters = try SecAggParameters(
            roundId: "profile-1", clientCount: 5, threshold: 3, vectorLength: words[0].count, clippingRange: 1,
            graphSeed: 9)
        let outcome = try SecAggSimulation(parameters: parameters, dropouts: [.maskedInput: [2]])
            .run { words[$0] }
        let (decoded, count) = try FeatureStatisticsLayout.decodeSum(outcome.sum, width: 4, grid: .standard)
        XCTAssertEqual(count, 4)
        var survivors = devices[0]
        for index in [1, 3, 4] { try survivors.merge(devices[index]) }
        XCTAssertEqual(decoded.counts, survivors.counts)
        XCTAssertEqual(decoded.bucketCounts, survivors.bucketCounts)
        XCTAssertEqual(decoded.sums[0], survivors.sums[0], accuracy: 1e-9)
    }

    func testEncodingRefusesTooManyRowsAndDecodingRefusesMalformedSums() throws {
        var big = FeatureStatistics(width: 1)
        big.add(features: [Float](repeating: 1, count: FeatureStatisticsLayout.maximumRowsPerDevice + 1), rows: 1 << 20)
        XCTAssertThrowsError(try FeatureStatisticsLayout.encode(big)) { error in
            XCTAssertEqual(
                error as? FeatureStatisticsEncodingError, .tooManyRows(rows: 1 << 20, maximum: (1 << 20) - 1))
        }
        let words = try FeatureStatisticsLayout.encode(deviceStatistics(rows: 10, seed: 1)).words
        XCTAssertThrowsError(try FeatureStatisticsLayout.decodeSum(Array(words.dropLast()), width: 4, grid: .standard))
        var noDevice = words
        noDevice[noDevice.count - 1] = 0
        XCTAssertThrowsError(try FeatureStatisticsLayout.decodeSum(noDevice, width: 4, grid: .standard)) { error in
            XCTAssertEqual(error as? FeatureStatisticsEncodingError, .invalidDeviceCount(0))
        }
        var corrupt = words
        corrupt[1] += 1
        XCTAssertThrowsError(try FeatureStatisticsLayout.decodeSum(corrupt, width: 4, grid: .standard)) { error in
            guard case .invalidSum? = error as? FeatureStatisticsEncodingError else { return XCTFail("\(error)") }
        }
    }
}
