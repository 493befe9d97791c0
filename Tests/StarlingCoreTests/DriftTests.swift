import XCTest

@testable import StarlingCore

/// Drift against a training profile: the profile's decile bins (whole buckets of its grid, exact
/// shares), PSI and the KS-style distance on them, and the manifest carrying the reference.
final class DriftTests: XCTestCase {
    func profile(_ values: [Float]) throws -> FeatureProfile {
        var statistics = FeatureStatistics(width: 1)
        statistics.add(features: values, rows: values.count)
        return try FeatureProfile(name: "p", version: 1, statistics: statistics, devices: 1)
    }

    func test_psiAndKS_matchTheirFormulas_andVanishForTheSameDistribution() throws {
        let same = try XCTUnwrap(DriftScore(counts: [50, 50], reference: [0.5, 0.5]))
        XCTAssertEqual(same.psi, 0, accuracy: 1e-12)
        XCTAssertEqual(same.ks, 0, accuracy: 1e-12)
        let moved = try XCTUnwrap(DriftScore(counts: [30, 70], reference: [0.5, 0.5]))
        // (0.3 − 0.5)·ln(0.3/0.5) + (0.7 − 0.5)·ln(0.7/0.5)
        XCTAssertEqual(moved.psi, -0.2 * log(0.6) + 0.2 * log(1.4), accuracy: 1e-12)
        XCTAssertEqual(moved.ks, 0.2, accuracy: 1e-12)
        let empty = try XCTUnwrap(DriftScore(counts: [0, 10], reference: [0.5, 0.5]))
        XCTAssertTrue(empty.psi.isFinite, "an empty bin counts with the floor share")
        XCTAssertEqual(empty.ks, 0.5, accuracy: 1e-12)
        XCTAssertNil(DriftScore(counts: [0, 0], reference: [0.5, 0.5]))
        XCTAssertNil(DriftScore(counts: [1, 2, 3], reference: [0.5, 0.5]))
    }

    func test_theReference_cutsTheProfileIntoRunsOfWholeBuckets_withExactShares() throws {
        // 1, 2, …, 1000: the grid's buckets near 1000 hold a quarter of the values, so fewer than ten.
        let values = (1...1000).map(Float.init)
        let reference = DriftReference(profile: try profile(values))
        XCTAssertTrue((6...10).contains(reference.binCount(feature: 0)), "\(reference.shares)")
        XCTAssertEqual(reference.shares[0].reduce(0, +), 1, accuracy: 1e-12)
        for (bin, share) in reference.shares[0].enumerated() {
            let counted = values.filter { reference.bin(of: Double($0), feature: 0) == bin }.count
            XCTAssertEqual(Double(counted) / 1000, share, accuracy: 1e-12, "bin \(bin) holds what its share says")
            XCTAssertGreaterThanOrEqual(share, 0.05, "no sliver of a bin")
        }
        XCTAssertEqual(reference.bin(of: -5, feature: 0), 0)
        XCTAssertEqual(reference.bin(of: 1e9, feature: 0), reference.binCount(feature: 0) - 1)
    }

    func test_aFeatureWithTies_getsFewerBins_andAnEmptyOneGetsOne() throws {
        let ties = DriftReference(profile: try profile([Float](repeating: 0, count: 90) + (1...10).map(Float.init)))
        XCTAssertLessThan(ties.binCount(feature: 0), 10)
        XCTAssertEqual(ties.shares[0].first ?? 0, 0.9, accuracy: 1e-12, "the zeros are one bin")
        let empty = DriftReference(profile: try profile([]))
        XCTAssertEqual(empty.shares, [[1]])
    }

    func test_aManifestCarriesItsReference_andOneOfAnotherWidthIsRefused() throws {
        let reference = DriftReference(profile: try profile((1...100).map(Float.init)))
        let architecture = try ModelArchitecture(layerSizes: [1, 2])
        let manifest = try ModelManifest(
            name: "m", version: 1, architecture: architecture, labels: ["a", "b"],
            preprocessing: .identity(featureCount: 1), drift: reference, confidenceThreshold: 0.5)
        let decoded = try JSONDecoder().decode(ModelManifest.self, from: JSONEncoder().encode(manifest))
        XCTAssertEqual(decoded.drift, reference)
        XCTAssertThrowsError(
            try ModelManifest(
                name: "m", version: 1, architecture: try ModelArchitecture(layerSizes: [2, 2]), labels: ["a", "b"],
                preprocessing: .identity(featureCount: 2), drift: reference, confidenceThreshold: 0.5))
    }
}
