import XCTest

@testable import StarlingCore

/// Backpropagation checked against central finite differences:
/// ∂L/∂θ_k ≈ (L(θ + h e_k) − L(θ − h e_k)) / 2h.
final class MLPGradientTests: XCTestCase {
    func testBackpropMatchesFiniteDifferencesOnA543Network() throws {
        for activation in HiddenActivation.allCases {
            try checkGradient(layerSizes: [5, 4, 3], activation: activation, rows: 6, seed: 11)
        }
    }

    func testBackpropMatchesFiniteDifferencesForLogisticRegression() throws {
        try checkGradient(layerSizes: [5, 3], rows: 6, seed: 12)
    }

    func testBackpropMatchesFiniteDifferencesWithTwoHiddenLayers() throws {
        for activation in HiddenActivation.allCases {
            try checkGradient(layerSizes: [4, 6, 5, 3], activation: activation, rows: 5, seed: 13)
        }
    }

    func testGradientIsTheMeanOverTheBatch() throws {
        let model = MLP(architecture: try ModelArchitecture(layerSizes: [3, 4, 2]), seed: 5)
        let features: [Float] = [0.1, -0.2, 0.3, 1.0, 0.5, -0.7]
        let (lossA, gradientA) = model.lossAndGradient(features: Array(features[0..<3]), labels: [0], rows: 1)
        let (lossB, gradientB) = model.lossAndGradient(features: Array(features[3..<6]), labels: [1], rows: 1)
        let (loss, gradient) = model.lossAndGradient(features: features, labels: [0, 1], rows: 2)
        XCTAssertEqual(loss, (lossA + lossB) / 2, accuracy: 1e-6)
        for index in gradient.indices {
            XCTAssertEqual(gradient[index], (gradientA[index] + gradientB[index]) / 2, accuracy: 1e-6)
        }
    }

    private func checkGradient(
        layerSizes: [Int], activation: HiddenActivation = .relu, rows: Int, seed: UInt64
    ) throws {
        let architecture = try ModelArchitecture(layerSizes: layerSizes, hiddenActivation: activation)
        var model = MLP(architecture: architecture, seed: seed)
        var rng = SeededRNG(seed: seed &+ 100)
        // Non-zero biases so every parameter is exercised.
        for index in model.parameters.indices { model.parameters[index] += Float(rng.nextGaussian() * 0.1) }
        let features = (0..<(rows * architecture.inputSize)).map { _ in Float(rng.nextGaussian()) }
        let labels = (0..<rows).map { _ in rng.nextInt(below: architecture.outputSize) }

        let (_, analytic) = model.lossAndGradient(features: features, labels: labels, rows: rows)
        let h: Float = 1e-3
        for index in model.parameters.indices {
            var plus = model, minus = model
            plus.parameters[index] += h
            minus.parameters[index] -= h
            let lossPlus = Double(plus.lossAndGradient(features: features, labels: labels, rows: rows).loss)
            let lossMinus = Double(minus.lossAndGradient(features: features, labels: labels, rows: rows).loss)
            let numeric = (lossPlus - lossMinus) / (2 * Double(h))
            let exact = Double(analytic[index])
            let scale = max(abs(numeric), abs(exact), 1e-2)
            XCTAssertLessThanOrEqual(
                abs(numeric - exact) / scale, 1e-2,
                "\(architecture) parameter \(index): backprop \(exact), finite difference \(numeric)")
        }
    }
}
