import XCTest

@testable import StarlingCore

final class MLPTests: XCTestCase {
    func testSeededInitIsReproducibleWithZeroBiasesAndScaledWeights() throws {
        let architecture = try ModelArchitecture(layerSizes: [64, 32, 10])
        let model = MLP(architecture: architecture, seed: 3)
        XCTAssertEqual(model, MLP(architecture: architecture, seed: 3))
        XCTAssertNotEqual(model, MLP(architecture: architecture, seed: 4))
        XCTAssertEqual(model.parameters.count, architecture.parameterCount)
        let tensors = Dictionary(uniqueKeysWithValues: model.namedTensors.map { ($0.name, $0.tensor) })
        XCTAssertEqual(tensors["layers.0.bias"], .zeros([32]))
        XCTAssertEqual(tensors["layers.1.bias"], .zeros([10]))
        // He: sd sqrt(2/64) ≈ 0.177 for the hidden layer.
        let hidden = try XCTUnwrap(tensors["layers.0.weight"]).values.map(Double.init)
        let sd = (hidden.map { $0 * $0 }.reduce(0, +) / Double(hidden.count)).squareRoot()
        XCTAssertEqual(sd, (2.0 / 64).squareRoot(), accuracy: 0.02)
    }

    func testNamedTensorsUseLayerNamesShapesAndRoundTrip() throws {
        let architecture = try ModelArchitecture(layerSizes: [5, 4, 3])
        let model = MLP(architecture: architecture, seed: 1)
        let named = model.namedTensors
        XCTAssertEqual(named.map(\.name), ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        XCTAssertEqual(named.map(\.tensor.shape), [[4, 5], [4], [3, 4], [3]])
        XCTAssertEqual(named.flatMap(\.tensor.values), model.parameters)
        let dictionary = Dictionary(uniqueKeysWithValues: named.map { ($0.name, $0.tensor) })
        XCTAssertEqual(try MLP(architecture: architecture, namedTensors: dictionary), model)
    }

    func testRebuildingFromTensorsRejectsMissingExtraAndMisshapenTensors() throws {
        let architecture = try ModelArchitecture(layerSizes: [2, 3])
        var tensors = ["layers.0.weight": Tensor.zeros([3, 2]), "layers.0.bias": .zeros([3])]
        XCTAssertNoThrow(try MLP(architecture: architecture, namedTensors: tensors))
        tensors["layers.0.bias"] = .zeros([2])
        assertThrows(
            try MLP(architecture: architecture, namedTensors: tensors),
            equalTo: ModelError.tensorShapeMismatch(name: "layers.0.bias", expected: [3], actual: [2]))
        tensors["layers.0.bias"] = nil
        assertThrows(
            try MLP(architecture: architecture, namedTensors: tensors),
            equalTo: ModelError.missingTensor("layers.0.bias"))
        tensors["layers.0.bias"] = .zeros([3])
        tensors["layers.1.weight"] = .zeros([1])
        assertThrows(
            try MLP(architecture: architecture, namedTensors: tensors),
            equalTo: ModelError.unexpectedTensor("layers.1.weight"))
        assertThrows(
            try MLP(architecture: architecture, parameters: [0]),
            equalTo: ModelError.parameterCountMismatch(expected: 9, actual: 1))
    }

    func testForwardComputesAffineMapThenSoftmaxByHand() throws {
        // Logistic regression 2 → 2 with W = [[1, 2], [3, 4]], b = [0.5, -0.5], x = [1, -1].
        let model = try MLP(architecture: ModelArchitecture(layerSizes: [2, 2]), parameters: [1, 2, 3, 4, 0.5, -0.5])
        let z0 = 1 * 1 + 2 * -1 + 0.5, z1 = 3 * 1 + 4 * -1 - 0.5
        let p0 = exp(z0) / (exp(z0) + exp(z1))
        let probabilities = model.probabilities(features: [1, -1], rows: 1)
        XCTAssertEqual(Double(probabilities[0]), p0, accuracy: 1e-6)
        XCTAssertEqual(Double(probabilities[1]), 1 - p0, accuracy: 1e-6)
    }

    func testHiddenLayerAppliesTheArchitecturesActivationByHand() throws {
        // 1 → 1 → 2 with W0 = [2], b0 = [-1], W1 = [1, -1], b1 = 0 and x = 0.8: z = 0.6, logits (a, −a).
        let z: Double = 0.6
        let expected: [HiddenActivation: Double] = [.relu: z, .sigmoid: 1 / (1 + exp(-z)), .tanh: tanh(z)]
        for activation in HiddenActivation.allCases {
            let architecture = try ModelArchitecture(layerSizes: [1, 1, 2], hiddenActivation: activation)
            let model = try MLP(architecture: architecture, parameters: [2, -1, 1, -1, 0, 0])
            let a = try XCTUnwrap(expected[activation])
            let probabilities = model.probabilities(features: [0.8], rows: 1)
            XCTAssertEqual(Double(probabilities[0]), 1 / (1 + exp(-2 * a)), accuracy: 1e-6, "\(activation)")
        }
    }

    func testSigmoidAndTanhStayFiniteForHugeHiddenInputs() throws {
        for activation in [HiddenActivation.sigmoid, .tanh] {
            let architecture = try ModelArchitecture(layerSizes: [1, 2, 2], hiddenActivation: activation)
            let model = try MLP(architecture: architecture, parameters: [1000, -1000, 0, 0, 1, 2, 3, 4, 0, 0])
            let (loss, gradient) = model.lossAndGradient(features: [1], labels: [0], rows: 1)
            XCTAssertTrue(loss.isFinite, "\(activation)")
            XCTAssertTrue(gradient.allSatisfy(\.isFinite), "\(activation)")
        }
    }

    func testSoftmaxAndLossStayFiniteForHugeLogits() throws {
        let model = try MLP(architecture: ModelArchitecture(layerSizes: [1, 2]), parameters: [1000, -1000, 0, 0])
        let probabilities = model.probabilities(features: [1], rows: 1)
        XCTAssertEqual(probabilities, [1, 0])
        let (loss, gradient) = model.lossAndGradient(features: [1], labels: [1], rows: 1)
        XCTAssertEqual(loss, 2000, accuracy: 1e-3)
        XCTAssertTrue(gradient.allSatisfy(\.isFinite))
    }

    private func softmax(_ logits: [Float]) -> [Float] {
        var z = logits
        z.withUnsafeMutableBufferPointer { MLP.softmaxInPlace($0) }
        return z
    }

    func testSoftmaxSharesTheMassAmongInfiniteLogits() {
        XCTAssertEqual(softmax([.infinity, 0, .infinity]), [0.5, 0, 0.5])
        XCTAssertEqual(softmax([.infinity, .nan, -.infinity]), [1, 0, 0])
        XCTAssertEqual(softmax([-.infinity, 0]), [0, 1])
    }

    func testSoftmaxGivesNaNLogitsNoMass() {
        XCTAssertEqual(softmax([.nan, 0, 0]), [0, 0.5, 0.5])
        XCTAssertEqual(softmax([1, .nan]), [1, 0])
    }

    func testSoftmaxIsUniformWithoutALogitAboveMinusInfinity() {
        XCTAssertEqual(softmax([-.infinity, -.infinity]), [0.5, 0.5])
        XCTAssertEqual(softmax([.nan, .nan, .nan, .nan]), [0.25, 0.25, 0.25, 0.25])
        XCTAssertEqual(softmax([.nan, -.infinity]), [0.5, 0.5])
    }

    func testHugeFiniteInputsWithHugeWeightsGiveFiniteProbabilitiesSummingToOne() throws {
        // Every product overflows to ±∞, and the sums of opposite infinities are NaN, in both layers.
        let architecture = try ModelArchitecture(layerSizes: [3, 4, 3])
        let scaled = MLP(architecture: architecture, seed: 5).parameters.map { $0 * 1e30 }
        let model = try MLP(architecture: architecture, parameters: scaled)
        let features: [Float] = [3e38, -3e38, 3e38, -3e38, 3e38, 1, .greatestFiniteMagnitude, 0, -1]
        let probabilities = model.probabilities(features: features, rows: 3)
        XCTAssertTrue(probabilities.allSatisfy(\.isFinite), "\(probabilities)")
        for row in 0..<3 {
            XCTAssertEqual(probabilities[(row * 3)..<(row * 3 + 3)].reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    func testProbabilityRowsSumToOne() throws {
        let model = MLP(architecture: try ModelArchitecture(layerSizes: [5, 4, 3]), seed: 9)
        var rng = SeededRNG(seed: 2)
        let features = (0..<(7 * 5)).map { _ in Float(rng.nextGaussian()) }
        let probabilities = model.probabilities(features: features, rows: 7)
        for row in 0..<7 {
            XCTAssertEqual(probabilities[(row * 3)..<(row * 3 + 3)].reduce(0, +), 1, accuracy: 1e-5)
        }
    }
}
