import Foundation
import XCTest

@testable import StarlingCore

final class StandardizationTests: XCTestCase {
    func testFitComputesPopulationMeanAndStdAndReplacesConstantFeatureStdByOne() {
        // Two features over three rows: [1, 2, 3] and constant 5.
        let fitted = Standardization.fit(features: [1, 5, 2, 5, 3, 5], featureCount: 2)
        XCTAssertEqual(fitted.mean, [2, 5])
        XCTAssertEqual(fitted.std[0], Float((2.0 / 3.0).squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(fitted.std[1], 1)
    }

    func testApplyMapsEveryRowToZeroMeanUnitVariance() {
        let features: [Float] = [1, 10, 2, 20, 3, 30, 4, 40]
        let fitted = Standardization.fit(features: features, featureCount: 2)
        let scaled = fitted.apply(features)
        for column in 0..<2 {
            let values = stride(from: column, to: scaled.count, by: 2).map { Double(scaled[$0]) }
            let mean = values.reduce(0, +) / 4
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            XCTAssertEqual(mean, 0, accuracy: 1e-6)
            XCTAssertEqual(variance, 1, accuracy: 1e-5)
        }
    }

    func testIdentityLeavesFeaturesUnchangedAndEmptyFitIsIdentity() {
        XCTAssertEqual(Standardization.identity(featureCount: 3).apply([1, -2, 3, 4, 5, 6]), [1, -2, 3, 4, 5, 6])
        XCTAssertEqual(Standardization.fit(features: [], featureCount: 3), .identity(featureCount: 3))
    }

    func testRejectsMismatchedCountsAndNonPositiveStd() {
        XCTAssertThrowsError(try Standardization(mean: [0, 0], std: [1]))
        XCTAssertThrowsError(try Standardization(mean: [0], std: [0]))
        XCTAssertThrowsError(try Standardization(mean: [0], std: [-1]))
        XCTAssertThrowsError(try Standardization(mean: [.nan], std: [1]))
        XCTAssertNoThrow(try Standardization(mean: [3], std: [0.5]))
    }

    func testDecodingValidatesLikeTheInitializer() throws {
        let valid = try Standardization(mean: [1, 2], std: [3, 4])
        XCTAssertEqual(try JSONDecoder().decode(Standardization.self, from: JSONEncoder().encode(valid)), valid)
        XCTAssertThrowsError(
            try JSONDecoder().decode(Standardization.self, from: Data(#"{"mean":[0],"std":[0]}"#.utf8)))
    }
}
