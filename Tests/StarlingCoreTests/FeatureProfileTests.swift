import Foundation
import XCTest

@testable import StarlingCore

/// A feature profile summarises the fleet histogram faithfully, stores it as stable JSON, and gives
/// drift detection bins whose expected shares a fresh sample of the same population reproduces.
final class FeatureProfileTests: XCTestCase {
    private let grid = LogBucketGrid.standard

    func testSummaryHasExactMomentsAndExtremesAtTheOuterEdgesOfTheirBuckets() throws {
        let columns = [
            SyntheticFeatures.gaussian(5_000, mean: 5, std: 2, seed: 1),
            SyntheticFeatures.logNormal(5_000, seed: 2),
            SyntheticFeatures.pixel(5_000, lit: 0.2, seed: 3),
        ]
        let profile = try SyntheticFeatures.profile(columns)
        XCTAssertEqual(profile.width, 3)
        XCTAssertEqual(profile.samples, 5_000)
        XCTAssertEqual(profile.devices, 1)
        for (summary, column) in zip(profile.features, columns) {
            let values = column.map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            XCTAssertEqual(summary.count, 5_000)
            XCTAssertEqual(summary.mean, mean, accuracy: 1e-9 * abs(mean))
            XCTAssertEqual(summary.std, std, accuracy: 1e-6 * std)
            let low = values.min() ?? 0, high = values.max() ?? 0
            XCTAssertEqual(summary.min, low == 0 ? 0 : grid.lowerEdge(grid.index(of: low)))
            XCTAssertEqual(summary.max, grid.upperEdge(grid.index(of: high)))
            XCTAssertLessThanOrEqual(summary.min, low)
            XCTAssertGreaterThan(summary.max, high)
            XCTAssertEqual(summary.quantiles.values, summary.quantiles.values.sorted())
        }
        XCTAssertEqual(profile.features[2].zeroFraction, 0.8, accuracy: 0.02)
    }

    func testQuantilesAreWithinOneBucketOfTheExactOnes() throws {
        let column = SyntheticFeatures.logNormal(20_000, seed: 4)
        let summary = try SyntheticFeatures.profile([column]).features[0]
        let sorted = column.map(Double.init).sorted()
        for (level, estimate) in zip(FeatureQuantiles.levels, summary.quantiles.values) {
            let exact = sorted[Int(level * Double(sorted.count - 1))]
            XCTAssertEqual(estimate, exact, accuracy: (grid.gamma - 1) * exact, "p\(level * 100)")
        }
    }

    func testZeroNegativeAndClippedValuesAreCountedApart() throws {
        let summary = try SyntheticFeatures.profile([[0, 0, -1, 2, 1e10, -1e10]]).features[0]
        XCTAssertEqual(summary.zeroFraction, 2.0 / 6)
        XCTAssertEqual(summary.negativeFraction, 2.0 / 6)
        XCTAssertEqual(summary.clipped, 2)
        XCTAssertEqual(summary.min, -1e9)
        XCTAssertEqual(summary.max, 1e9)
    }

    func testJSONIsStableSparseAndValidatedOnDecode() throws {
        let profile = try SyntheticFeatures.profile([[0, 1, 1, 300], [-2, 0.5, .nan, 7]])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(profile)
        XCTAssertEqual(try encoder.encode(JSONDecoder().decode(FeatureProfile.self, from: json)), json)
        let text = String(decoding: json, as: UTF8.self)
        XCTAssertTrue(text.contains(#""p0.1":"#) && text.contains(#""p99.9":"#), text)
        let one = grid.index(of: 1)
        XCTAssertTrue(text.contains("[\(one),2]"), "histograms are [index, count] pairs: \(text)")
        XCTAssertEqual(profile.features[1].rejected, 1)

        let tampered = text.replacingOccurrences(of: "[\(one),2]", with: "[\(one),3]")
        XCTAssertThrowsError(try JSONDecoder().decode(FeatureProfile.self, from: Data(tampered.utf8)))
        let narrower = text.replacingOccurrences(of: #""width":2"#, with: #""width":1"#)
        XCTAssertThrowsError(try JSONDecoder().decode(FeatureProfile.self, from: Data(narrower.utf8)))
    }

    func testReferenceBinsOfAGaussianHoldSharesThatAFreshSampleReproduces() throws {
        let reference = SyntheticFeatures.gaussian(50_000, mean: 3, std: 1, seed: 5)
        let profile = try SyntheticFeatures.profile([reference])
        let bins = try profile.referenceBins(feature: 0, count: 10)
        XCTAssertGreaterThanOrEqual(bins.expected.count, 4, "\(bins)")
        XCTAssertEqual(bins.edges, bins.edges.sorted())
        XCTAssertTrue(
            bins.edges.allSatisfy { edge in
                (0..<LogBucketGrid.standard.bucketCount).contains {
                    LogBucketGrid.standard.lowerEdge($0) == edge
                }
            }, "edges are bucket edges")
        XCTAssertEqual(bins.expected.reduce(0, +), 1, accuracy: 1e-12)
        for (count, share) in zip(bins.counts(of: reference), bins.expected) {
            XCTAssertEqual(Double(count) / 50_000, share, accuracy: 1e-12, "the reference's exact share")
        }
        let fresh = SyntheticFeatures.gaussian(50_000, mean: 3, std: 1, seed: 6)
        let counts = bins.counts(of: fresh + [.nan])
        XCTAssertEqual(counts.reduce(0, +), 50_000, "NaN is left out")
        for (count, share) in zip(counts, bins.expected) {
            XCTAssertEqual(Double(count) / 50_000, share, accuracy: 0.02)
        }
    }

    func testAMostlyZeroFeatureGetsAZeroBinAndEqualSharesOverItsNonZeroValues() throws {
        let pixels = SyntheticFeatures.pixel(50_000, lit: 0.1, seed: 7)
        let bins = try SyntheticFeatures.profile([pixels]).referenceBins(feature: 0, count: 10)
        guard let zeroBin = bins.index(of: 0) else { return XCTFail("0 has a bin") }
        XCTAssertEqual(bins.expected[zeroBin], 0.9, accuracy: 0.01)
        XCTAssertGreaterThanOrEqual(bins.expected.count, 5, "the lit values are split too: \(bins)")
        XCTAssertTrue(bins.expected.allSatisfy { $0 > 0 })
        let counts = bins.counts(of: SyntheticFeatures.pixel(50_000, lit: 0.1, seed: 8))
        for (count, share) in zip(counts, bins.expected) {
            XCTAssertEqual(Double(count) / 50_000, share, accuracy: 0.02)
        }
    }

    func testReferenceBinsRefuseAnEmptyOrUnknownFeature() throws {
        let profile = try SyntheticFeatures.profile([[.nan, .nan], [1, 2]])
        assertThrows(try profile.referenceBins(feature: 0), equalTo: FeatureStatisticsError.emptyFeature(0))
        assertThrows(
            try profile.referenceBins(feature: 2),
            equalTo: FeatureStatisticsError.featureOutOfRange(feature: 2, width: 2))
    }
}
