import Foundation
import XCTest

@testable import StarlingCore

/// The automatic choice picks the transform each synthetic feature shape calls for, and nothing it
/// picks lets a value far outside the clip reach the network.
final class PreprocessingAutoTests: XCTestCase {
    private let rows = 20_000

    private func chosen(_ column: [Float]) throws -> FeatureTransform {
        try Preprocessing.auto(from: SyntheticFeatures.profile([column])).transforms[0]
    }

    func testPixelLikeFeaturesAreScaledByHalfTheirRangeAndStayWithinTwoUnits() throws {
        let pixels = SyntheticFeatures.pixel(rows, lit: 0.3, seed: 1)
        let profile = try SyntheticFeatures.profile([pixels])
        guard case .zScore(_, let std, let clip) = try chosen(pixels) else { return XCTFail("\(try chosen(pixels))") }
        let summary = profile.features[0]
        let halfRange = Float(
            Preprocessing.sparseVarianceFloorFraction * (summary.quantiles.p99_9 - summary.quantiles.p0_1))
        XCTAssertEqual(std, max(Float(summary.std), halfRange), accuracy: 1e-3 * std)
        XCTAssertEqual(clip, Preprocessing.fittedClip)
        let scaled = Preprocessing.auto(from: profile).apply(pixels)
        XCTAssertLessThanOrEqual(scaled.map(abs).max() ?? 0, 2)
    }

    func testALogNormalOverSixDecadesIsLog1pScaled() throws {
        let column = SyntheticFeatures.logNormal(rows, seed: 2)
        guard case .log1p(let mean, let std, let clip) = try chosen(column) else {
            return XCTFail("\(try chosen(column))")
        }
        XCTAssertEqual(clip, Preprocessing.fittedClip)
        let logs = column.map { Double(log1pf($0)) }
        let exactMean = logs.reduce(0, +) / Double(logs.count)
        XCTAssertEqual(Double(mean), exactMean, accuracy: 0.05 * exactMean)
        XCTAssertGreaterThan(std, 0)
    }

    func testAGaussianIsZScoredWithItsMomentsAndClipped() throws {
        let column = SyntheticFeatures.gaussian(rows, mean: -3, std: 2, seed: 3)
        guard case .zScore(let mean, let std, let clip) = try chosen(column) else {
            return XCTFail("\(try chosen(column))")
        }
        XCTAssertEqual(mean, -3, accuracy: 0.05)
        XCTAssertEqual(std, 2, accuracy: 0.05)
        XCTAssertEqual(clip, 5)
        let positive = SyntheticFeatures.gaussian(rows, mean: 100, std: 10, seed: 4)
        guard case .zScore = try chosen(positive) else {
            return XCTFail("a positive Gaussian: \(try chosen(positive))")
        }
    }

    func testAConstantFeatureIsCentredWithUnitStd() throws {
        XCTAssertEqual(try chosen([Float](repeating: 42, count: 100)), .zScore(mean: 42, std: 1, clip: 5))
        XCTAssertEqual(try chosen([Float](repeating: 0, count: 100)), .zScore(mean: 0, std: 1, clip: 5))
    }

    func testSparseCountsGetABoundedTransform() throws {
        let counts = SyntheticFeatures.poisson(rows, lambda: 0.3, seed: 5)
        let transform = try chosen(counts)
        switch transform {
        case .minMax, .log1p(_, _, .some), .zScore(_, _, .some): break
        default: XCTFail("sparse counts need a bounded transform, got \(transform)")
        }
        let scaled = Preprocessing(valid: [transform]).apply(counts)
        XCTAssertLessThanOrEqual(scaled.map(abs).max() ?? 0, Preprocessing.fittedClip)
    }

    /// The divergence this replaces: z-scoring a raw pixel that is almost always 0 sent values near
    /// 1,400 into SGD. Every fitted kind, the automatic choice included, stays within the clip.
    func testARarelyLitPixelNeverLeavesTheClip() throws {
        var column = [Float](repeating: 0, count: 200_000)
        column[1_234] = 255
        column[99_999] = 180
        let data = SyntheticFeatures.rows([column, SyntheticFeatures.pixel(column.count, lit: 0.5, seed: 6)])
        let legacy = Standardization.fit(features: data, featureCount: 2).apply(data)
        XCTAssertGreaterThan(legacy.map(abs).max() ?? 0, 300, "the legacy z-score explodes")
        let profile = try SyntheticFeatures.profile([column, SyntheticFeatures.pixel(column.count, lit: 0.5, seed: 6)])
        for kind in PreprocessingKind.allCases where kind != .identity {
            let scaled = Preprocessing.fitted(kind, from: profile).apply(data)
            XCTAssertLessThanOrEqual(scaled.map(abs).max() ?? 0, Preprocessing.fittedClip, "\(kind)")
        }
        let auto = Preprocessing.auto(from: profile)
        guard case .zScore(_, _, .some) = auto.transforms[0] else { return XCTFail("\(auto.transforms[0])") }
    }

    func testEachKindAppliesItsTransformToEveryFeature() throws {
        let profile = try SyntheticFeatures.profile([
            SyntheticFeatures.gaussian(1_000, seed: 7), SyntheticFeatures.logNormal(1_000, seed: 8),
        ])
        XCTAssertEqual(Preprocessing.fitted(.identity, from: profile), .identity(featureCount: 2))
        XCTAssertEqual(Preprocessing.fitted(.auto, from: profile), Preprocessing.auto(from: profile))
        for (kind, matches) in [
            (PreprocessingKind.zscore, { (t: FeatureTransform) in if case .zScore = t { true } else { false } }),
            (.minmax, { if case .minMax = $0 { true } else { false } }),
            (.log1p, { if case .log1p = $0 { true } else { false } }),
        ] {
            XCTAssertTrue(Preprocessing.fitted(kind, from: profile).transforms.allSatisfy(matches), "\(kind)")
        }
        XCTAssertEqual(PreprocessingKind(rawValue: "minmax"), .minmax)
    }
}
