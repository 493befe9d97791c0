import XCTest

@testable import StarlingCore

/// The clipped per-example gradient sum equals clipping and summing gradients computed one
/// example at a time, for every hidden activation.
final class ClippedGradientTests: XCTestCase {
    func testClippedSumMatchesPerExampleGradientsClippedOneByOne() throws {
        var rng = SeededRNG(seed: 31)
        for activation in ["relu", "sigmoid", "tanh"] {
            let model = MLP(architecture: try ModelArchitecture(parsing: "7-5-4-3/\(activation)"), seed: 4)
            let rows = 9
            let features = (0..<(rows * 7)).map { _ in Float(rng.nextDouble() * 4 - 2) }
            let labels = (0..<rows).map { _ in rng.nextInt(below: 3) }
            for clipNorm: Float in [0.05, 0.5, 100] {
                var expected = [Float](repeating: 0, count: model.parameters.count)
                var expectedNorms: [Float] = []
                var expectedLoss: Float = 0
                for row in 0..<rows {
                    let (loss, gradient) = model.lossAndGradient(
                        features: Array(features[(row * 7)..<((row + 1) * 7)]), labels: [labels[row]], rows: 1)
                    let norm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let factor = min(1, clipNorm / norm)
                    for index in expected.indices { expected[index] += gradient[index] * factor }
                    expectedNorms.append(norm)
                    expectedLoss += loss
                }
                let clipped = model.clippedGradientSum(
                    features: features, labels: labels, rows: rows, clipNorm: clipNorm)
                XCTAssertEqual(clipped.lossSum, expectedLoss, accuracy: 1e-4)
                for (got, want) in zip(clipped.norms, expectedNorms) {
                    XCTAssertEqual(got, want, accuracy: 1e-4 * max(1, want))
                }
                for (got, want) in zip(clipped.gradient, expected) {
                    XCTAssertEqual(got, want, accuracy: 1e-5, "\(activation), C = \(clipNorm)")
                }
                if clipNorm < 0.1 {
                    XCTAssertTrue(expectedNorms.allSatisfy { $0 > clipNorm }, "the small bound clips every example")
                }
            }
        }
    }
}
