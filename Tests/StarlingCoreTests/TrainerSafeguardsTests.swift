import Foundation
import XCTest

@testable import StarlingCore

final class TrainerSafeguardsTests: XCTestCase {
    /// 40 rows of two Gaussian features, labelled by which is larger.
    private static func comparisonData(scale: Float = 1) -> Dataset {
        var rng = SeededRNG(seed: 3)
        let features = (0..<80).map { _ in scale * Float(rng.nextGaussian()) }
        let labels = stride(from: 0, to: 80, by: 2).map { features[$0] > features[$0 + 1] ? 1 : 0 }
        return Dataset(featureCount: 2, features: features, labels: labels)
    }

    private static func train(_ model: MLP, _ data: Dataset, _ config: TrainingConfig) -> (MLP, TrainingReport) {
        var model = model
        let report = Trainer.train(
            &model, on: data, preprocessing: .identity(featureCount: data.featureCount), config: config)
        return (model, report)
    }

    private static func norm(_ values: [Float]) -> Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    func testDefaultSafeguardsTrainBitIdenticallyToAPlainMomentumSGDLoop() throws {
        let data = Self.comparisonData()
        let start = MLP(architecture: try ModelArchitecture(layerSizes: [2, 6, 2]), seed: 4)
        let config = TrainingConfig(epochs: 3, batchSize: 7, learningRate: 0.1, momentum: 0.9, seed: 9)
        let (trained, report) = Self.train(start, data, config)

        // The loop as it was before the safeguards existed.
        var model = start
        var optimizer = SGD(learningRate: 0.1, momentum: 0.9, parameterCount: model.parameters.count)
        var rng = SeededRNG(seed: 9)
        var order = Array(0..<data.count)
        var totalLoss: Double = 0
        for _ in 0..<3 {
            rng.shuffle(&order)
            for batch in stride(from: 0, to: order.count, by: 7).map({ order[$0..<min($0 + 7, order.count)] }) {
                let features = batch.flatMap { data.features[($0 * 2)..<($0 * 2 + 2)] }
                let (loss, gradient) = model.lossAndGradient(
                    features: features, labels: batch.map { data.labels[$0] }, rows: batch.count)
                optimizer.step(parameters: &model.parameters, gradient: gradient)
                totalLoss += Double(loss) * Double(batch.count)
            }
        }
        XCTAssertEqual(trained.parameters.map(\.bitPattern), model.parameters.map(\.bitPattern))
        XCTAssertEqual(report, TrainingReport(meanLoss: totalLoss / Double(3 * data.count), steps: 18, samples: 40))
        let explicit = TrainingConfig(
            epochs: 3, batchSize: 7, learningRate: 0.1, momentum: 0.9, seed: 9, gradientClipNorm: nil, weightDecay: 0,
            proximalMu: 0)
        XCTAssertEqual(Self.train(start, data, explicit).0, trained)
    }

    func testALearningRateOfAMillionIsReportedAsDivergenceInsteadOfCrashing() throws {
        let start = MLP(architecture: try ModelArchitecture(layerSizes: [2, 8, 2]), seed: 1)
        let config = TrainingConfig(epochs: 5, batchSize: 8, learningRate: 1e6, momentum: 0.9, seed: 2)
        let (_, report) = Self.train(start, Self.comparisonData(), config)
        let divergence = try XCTUnwrap(report.divergence)
        XCTAssertLessThan(report.steps, 25)
        XCTAssertTrue(report.meanLoss.isFinite)
        XCTAssertTrue([report.steps, report.steps + 1].contains(divergence.step), "\(divergence)")
        let ending = "at step \(divergence.step) (epoch \(divergence.epoch))"
        XCTAssertTrue(divergence.reason.hasSuffix(ending), divergence.reason)
        XCTAssertTrue(
            divergence.reason.contains("became NaN") || divergence.reason.contains("exploded"), divergence.reason)
    }

    func testParametersThatOverflowInTheLastStepAreCaughtAtTheEndOfTheEpoch() throws {
        let start = MLP(architecture: try ModelArchitecture(layerSizes: [2, 2]), seed: 1)
        let config = TrainingConfig(
            epochs: 1, batchSize: 40, learningRate: .greatestFiniteMagnitude, momentum: 0, seed: 2)
        let (trained, report) = Self.train(start, Self.comparisonData(scale: 100), config)
        XCTAssertFalse(trained.parameters.allSatisfy(\.isFinite))
        let divergence = try XCTUnwrap(report.divergence)
        XCTAssertEqual(divergence.step, 1)
        XCTAssertEqual(divergence.epoch, 1)
        XCTAssertTrue(divergence.reason.hasPrefix("parameter "), divergence.reason)
        XCTAssertEqual(report.steps, 1)
    }

    func testClippingBoundsAPlainSGDStepToLearningRateTimesC() throws {
        let data = Self.comparisonData()
        let start = MLP(architecture: try ModelArchitecture(layerSizes: [2, 6, 2]), seed: 4)
        let oneStep = TrainingConfig(epochs: 1, batchSize: data.count, learningRate: 0.5, momentum: 0, seed: 1)
        var clipped = oneStep
        clipped.gradientClipNorm = 0.01
        let free = zip(Self.train(start, data, oneStep).0.parameters, start.parameters).map { $0 - $1 }
        let bounded = zip(Self.train(start, data, clipped).0.parameters, start.parameters).map { $0 - $1 }
        XCTAssertGreaterThan(Self.norm(free), 0.5 * 0.01 * 10, "the test needs a gradient well above C")
        XCTAssertEqual(Self.norm(bounded), 0.5 * 0.01, accuracy: 1e-7)
        // Same direction: Δw_clipped = (η·C / ‖Δw_free‖) Δw_free.
        let scale = Float(0.5 * 0.01 / Self.norm(free))
        for (b, f) in zip(bounded, free) { XCTAssertEqual(b, scale * f, accuracy: 2e-7) }  // w − w₀ rounds at ulp(w)
    }

    func testWeightDecayShrinksWeightsGeometricallyAndLeavesBiasesAloneWhenDataGiveNoWeightGradient() throws {
        // Zero features: ∂L/∂W = δᵀ·0 = 0 for softmax regression, so only the decay moves the weights.
        let data = Dataset(featureCount: 3, features: [Float](repeating: 0, count: 30), labels: (0..<10).map { $0 % 2 })
        let architecture = try ModelArchitecture(layerSizes: [3, 2])
        let start = MLP(architecture: architecture, seed: 5)
        let plain = TrainingConfig(epochs: 4, batchSize: 5, learningRate: 0.1, momentum: 0, seed: 1)
        var decayed = plain
        decayed.weightDecay = 0.5
        let (withoutDecay, _) = Self.train(start, data, plain)
        let (withDecay, report) = Self.train(start, data, decayed)
        let weights = architecture.layers[0].weightRange, biases = architecture.layers[0].biasRange
        XCTAssertEqual(report.steps, 8)
        XCTAssertEqual(withoutDecay.parameters[weights], start.parameters[weights])
        let factor = pow(1 - 0.1 * 0.5, 8.0)
        for i in weights {
            XCTAssertEqual(Double(withDecay.parameters[i]), factor * Double(start.parameters[i]), accuracy: 1e-6)
        }
        XCTAssertEqual(withDecay.parameters[biases], withoutDecay.parameters[biases])
        XCTAssertNotEqual(withDecay.parameters[biases], start.parameters[biases])
    }

    func testProximalTermKeepsTheModelCloserToWhereTrainingStarted() throws {
        let data = Self.comparisonData()
        let start = MLP(architecture: try ModelArchitecture(layerSizes: [2, 6, 2]), seed: 4)
        let free = TrainingConfig(epochs: 10, batchSize: 8, learningRate: 0.1, momentum: 0.9, seed: 1)
        var proximal = free
        proximal.proximalMu = 1
        let distance = { (config: TrainingConfig) -> Double in
            Self.norm(zip(Self.train(start, data, config).0.parameters, start.parameters).map { $0 - $1 })
        }
        let freeDistance = distance(free), proximalDistance = distance(proximal)
        XCTAssertGreaterThan(freeDistance, 0.5)
        XCTAssertLessThan(proximalDistance, 0.7 * freeDistance, "\(proximalDistance) vs \(freeDistance)")
    }

    func testConfigAndReportJSONWrittenBeforeTheSafeguardsDecodesWithThemOff() throws {
        let config = try JSONDecoder().decode(
            TrainingConfig.self,
            from: Data(#"{"epochs":2,"batchSize":16,"learningRate":0.05,"momentum":0.9,"seed":7}"#.utf8))
        XCTAssertEqual(config, TrainingConfig(epochs: 2, batchSize: 16, learningRate: 0.05, momentum: 0.9, seed: 7))
        XCTAssertNil(config.gradientClipNorm)
        XCTAssertEqual(config.weightDecay, 0)
        XCTAssertEqual(config.proximalMu, 0)
        let report = try JSONDecoder().decode(
            TrainingReport.self, from: Data(#"{"meanLoss":0.5,"steps":3,"samples":9}"#.utf8))
        XCTAssertEqual(report, TrainingReport(meanLoss: 0.5, steps: 3, samples: 9))

        let full = TrainingConfig(
            epochs: 1, batchSize: 2, learningRate: 0.1, momentum: 0, seed: 3, gradientClipNorm: 1.5, weightDecay: 1e-4,
            proximalMu: 0.01)
        XCTAssertEqual(try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(full)), full)
    }
}
