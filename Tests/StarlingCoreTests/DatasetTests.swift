import XCTest

@testable import StarlingCore

final class DatasetTests: XCTestCase {
    private let data = Dataset(featureCount: 2, features: (0..<20).map(Float.init), labels: Array(0..<10))

    func testSubsetGathersRowsInOrder() {
        let subset = data.subset([3, 0])
        XCTAssertEqual(subset.features, [6, 7, 0, 1])
        XCTAssertEqual(subset.labels, [3, 0])
        XCTAssertEqual(subset.count, 2)
    }

    func testSplitIsSeededDisjointAndRoundsTheFirstPart() {
        let (first, second) = data.split(fraction: 0.75, seed: 5)
        XCTAssertEqual(first.count, 8)  // round(7.5)
        XCTAssertEqual(second.count, 2)
        XCTAssertEqual((first.labels + second.labels).sorted(), Array(0..<10))
        for (row, label) in first.labels.enumerated() {
            XCTAssertEqual(first.features[(row * 2)..<(row * 2 + 2)], [Float(label * 2), Float(label * 2 + 1)])
        }
        let again = data.split(fraction: 0.75, seed: 5)
        XCTAssertEqual(again.0, first)
        XCTAssertNotEqual(data.split(fraction: 0.75, seed: 6).0, first)
    }
}
