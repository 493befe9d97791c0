import Quantization
import StarlingCore
import XCTest

/// Phase one on finite features at the edge of `Float` (±3e38): fp32 and int8 answer finite
/// probabilities that sum to 1, and every int8 kernel path answers the same bits.
final class Int8HugeInputTests: XCTestCase {
    /// Rows of the digits model's 64 features: all ±3e38, alternating signs, the largest `Float`
    /// beside zeros, and one huge pixel in an ordinary row.
    private func hugeRows(_ test: Dataset) -> (features: [Float], rows: Int) {
        let width = 64
        var features: [Float] = []
        features += [Float](repeating: 3e38, count: width)
        features += [Float](repeating: -3e38, count: width)
        features += (0..<width).map { $0.isMultiple(of: 2) ? 3e38 : -3e38 }
        features += (0..<width).map { $0 < 8 ? .greatestFiniteMagnitude : 0 }
        var ordinary = Array(test.features[0..<width])
        ordinary[17] = 3e38
        features += ordinary
        return (features, features.count / width)
    }

    /// `bundle` with every weight and bias multiplied by `factor`.
    private func scaled(_ bundle: ModelBundle, by factor: Float) throws -> ModelBundle {
        let model = try MLP(
            architecture: bundle.manifest.architecture, parameters: bundle.model.parameters.map { $0 * factor })
        return try ModelBundle(manifest: bundle.manifest, model: .dense(model))
    }

    private func assertProbabilities(
        _ probabilities: [Float], rows: Int, classes: Int, _ what: String, line: UInt = #line
    ) {
        XCTAssertEqual(probabilities.count, rows * classes, what, line: line)
        XCTAssertTrue(probabilities.allSatisfy(\.isFinite), "\(what): \(probabilities)", line: line)
        for row in 0..<rows {
            let sum = probabilities[(row * classes)..<((row + 1) * classes)].reduce(0, +)
            XCTAssertEqual(sum, 1, accuracy: 1e-4, "\(what), row \(row)", line: line)
        }
    }

    func test_digitsModel_atPlusMinus3e38_answersFiniteProbabilities_inFP32AndOnEveryInt8Path() throws {
        let digits = try DigitsFixture.make()
        let (features, rows) = hugeRows(digits.test)
        for (name, bundle) in [("trained", digits.bundle), ("weights × 1e30", try scaled(digits.bundle, by: 1e30))] {
            let classes = bundle.manifest.architecture.outputSize
            assertProbabilities(
                bundle.predict(features: features, rows: rows), rows: rows, classes: classes, "\(name) fp32")
            let int8 = try Int8Bundle(quantizing: bundle)
            let portable = int8.predict(features: features, rows: rows, path: .portable)
            assertProbabilities(portable, rows: rows, classes: classes, "\(name) int8 portable")
            for path in Int8KernelPath.supported {
                XCTAssertEqual(
                    int8.predict(features: features, rows: rows, path: path), portable, "\(name) int8 \(path)")
            }
        }
    }
}
