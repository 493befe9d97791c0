import StarlingCore
import XCTest

/// The one-pass scan that checks updates for values that are not finite: the largest magnitude of
/// finite values, infinity or NaN as soon as one value is.
final class LargestMagnitudeTests: XCTestCase {
    func test_finiteValues_giveTheirLargestMagnitude_whateverTheSign() {
        XCTAssertEqual(LargestMagnitude.of([0.5, -3.25, 2, -0.0]), 3.25)
        XCTAssertEqual(LargestMagnitude.of([-Float.greatestFiniteMagnitude, 1]), .greatestFiniteMagnitude)
        XCTAssertEqual(LargestMagnitude.of([Float.leastNonzeroMagnitude]), .leastNonzeroMagnitude)
        XCTAssertEqual(LargestMagnitude.of([]), 0)
        XCTAssertTrue(LargestMagnitude.allFinite([1, -2, 3]))
    }

    func test_oneValueThatIsNotFinite_isFound_wherever_itIs() {
        var values = [Float](repeating: 1, count: 1_003)
        for bad in [Float.infinity, -.infinity, .nan, -.nan, .signalingNaN] {
            for position in [0, 517, 1_002] {
                values[position] = bad
                XCTAssertFalse(LargestMagnitude.allFinite(values), "\(bad) at \(position)")
                XCTAssertEqual(LargestMagnitude.of(values).isNaN, bad.isNaN, "\(bad) at \(position)")
                values[position] = 1
            }
        }
        XCTAssertTrue(LargestMagnitude.allFinite(values))
    }
}
