import Foundation
import XCTest

@testable import StarlingCore

/// Each transform computes its formula, never yields a non-finite value, and the legacy
/// standardisation is reproduced bit for bit.
final class PreprocessingTests: XCTestCase {
    private let mixed = try! Preprocessing(transforms: [
        .identity,
        .zScore(mean: 2, std: 4, clip: 3),
        .minMax(min: -1, max: 3),
        .fixedScale(scale: 0.5),
        .log1p(mean: 1, std: 2, clip: 2),
        .zScore(mean: 1, std: 1e-3, clip: nil),
    ])

    func testEachTransformComputesItsFormula() {
        let row: [Float] = [7, 30, 0, -4, 1e6, 1.002]
        let expected: [Float] = [7, 3, 0.25, -2, 2, (1.002 - 1) * (1 / 1e-3)]
        XCTAssertEqual(mixed.apply(row), expected)
        XCTAssertEqual(mixed.apply([0, -30, 9, 2, -5, 1]), [0, -3, 1, 1, -0.5, 0])
    }

    func testFiniteInputNeverGivesANonFiniteValueAndNonFiniteInputGivesItsBound() {
        let big = Float.greatestFiniteMagnitude
        for value: Float in [1e38, -1e38, big, -big, 1e-45, 0] {
            let output = mixed.apply([Float](repeating: value, count: 6))
            XCTAssertTrue(output.allSatisfy(\.isFinite), "\(value) → \(output)")
        }
        XCTAssertEqual(mixed.apply([Float](repeating: .nan, count: 6)), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(mixed.apply([Float](repeating: .infinity, count: 6)), [big, 3, 1, big, 2, big])
        XCTAssertEqual(mixed.apply([Float](repeating: -.infinity, count: 6)), [-big, -3, 0, -big, -0.5, -big])
    }

    func testTheLegacyStandardizationIsReproducedBitForBit() throws {
        var rng = SeededRNG(seed: 3)
        let mean = (0..<7).map { _ in Float(rng.nextGaussian() * 100) }
        let std = (0..<7).map { _ in Float(0.001 + rng.nextDouble() * 50) }
        let standardization = try Standardization(mean: mean, std: std)
        let preprocessing = Preprocessing(standardization: standardization)
        let rows = (0..<(7 * 300)).map { _ in Float(rng.nextGaussian() * 200) }
        XCTAssertEqual(preprocessing.apply(rows).map(\.bitPattern), standardization.apply(rows).map(\.bitPattern))
        XCTAssertEqual(preprocessing.standardization, standardization)
        XCTAssertEqual(preprocessing.affineForm?.mean, mean)
        XCTAssertEqual(preprocessing.affineForm?.scale, std.map { 1 / $0 })
    }

    func testOnlyUnclippedZScoresFixedScalesAndIdentitiesAreAffine() throws {
        XCTAssertFalse(mixed.isAffine)
        XCTAssertNil(mixed.affineForm)
        let affine = try Preprocessing(transforms: [
            .identity, .fixedScale(scale: 2), .zScore(mean: 1, std: 2, clip: nil),
        ])
        XCTAssertEqual(affine.affineForm, Preprocessing.AffineForm(mean: [0, 0, 1], scale: [1, 2, 0.5]))
        XCTAssertTrue(Preprocessing.identity(featureCount: 3).affineForm?.isIdentity == true)
    }

    func testTheBufferVariantsComputeWhatTheArrayVariantDoes() {
        var rng = SeededRNG(seed: 4)
        let rows = (0..<(6 * 50)).map { _ in Float(rng.nextGaussian() * 10) }
        var output = [Float](repeating: .nan, count: rows.count + 6)
        rows.withUnsafeBufferPointer { input in output.withUnsafeMutableBufferPointer { mixed.apply(input, into: $0) } }
        XCTAssertEqual(Array(output.prefix(rows.count)), mixed.apply(rows))
        XCTAssertTrue(output.suffix(6).allSatisfy(\.isNaN), "nothing past the input is written")
        var inPlace = rows
        inPlace.withUnsafeMutableBufferPointer { mixed.apply(inPlace: $0) }
        XCTAssertEqual(inPlace, mixed.apply(rows))
    }

    func testJSONRoundTripsOmitsAnAbsentClipAndRejectsUnusableParameters() throws {
        let json = String(decoding: try JSONEncoder().encode(mixed), as: UTF8.self)
        XCTAssertEqual(try JSONDecoder().decode(Preprocessing.self, from: Data(json.utf8)), mixed)
        let legacy = String(
            decoding: try JSONEncoder().encode(FeatureTransform.zScore(mean: 1, std: 2, clip: nil)), as: UTF8.self)
        XCTAssertFalse(legacy.contains("clip"), legacy)
        for bad in [
            #"{"type":"zscore","mean":0,"std":0}"#, #"{"type":"minmax","min":1,"max":1}"#,
            #"{"type":"scale","scale":0}"#, #"{"type":"log1p","mean":0,"std":1,"clip":-1}"#, #"{"type":"cube"}"#,
        ] {
            XCTAssertThrowsError(try JSONDecoder().decode(FeatureTransform.self, from: Data(bad.utf8)), bad)
        }
        assertThrows(
            try Preprocessing(transforms: [.identity, .minMax(min: 2, max: 1)]),
            equalTo: ModelError.invalidPreprocessing(
                "feature 1: min 2.0 and max 1.0 must be finite with min < max and a range with a finite reciprocal"))
    }

    func testDeviationsAndRangesWhoseReciprocalOverflowsAreRefused() {
        let tiny = Float.leastNonzeroMagnitude
        XCTAssertFalse((1 / tiny).isFinite, "the case under test: a positive std with an infinite 1/std")
        for transform in [
            FeatureTransform.zScore(mean: 0, std: tiny, clip: 5), .log1p(mean: 0, std: tiny, clip: nil),
            .minMax(min: 0, max: tiny),
        ] {
            XCTAssertThrowsError(try transform.validate(), "\(transform)")
        }
        XCTAssertThrowsError(try Standardization(mean: [0], std: [tiny]))
        XCTAssertNoThrow(try FeatureTransform.zScore(mean: 0, std: 1e-30, clip: 5).validate())
    }
}
