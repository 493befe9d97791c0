import StarlingCore
import XCTest

@testable import Privacy

final class DPSGDTests: XCTestCase {
    private func digits() throws -> (Dataset, Preprocessing) {
        let csv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/digits.csv")
        let table = try CSVTable.load(contentsOf: csv, labelColumn: "label")
        let data = try table.dataset(classes: table.distinctLabels)
        return (data, Preprocessing(standardization: .fit(features: data.features, featureCount: data.featureCount)))
    }

    func testWithoutNoiseOrClippingAndFullBatchesItIsGradientDescent() throws {
        let (data, preprocessing) = try digits()
        let small = data.subset(Array(0..<64))
        var dp = MLP(architecture: try ModelArchitecture(parsing: "64-8-10"), seed: 1)
        var plain = dp
        var random = SecureRandom(key: [UInt8](repeating: 7, count: 32))
        _ = DPSGD.train(
            &dp, on: small, preprocessing: preprocessing,
            configuration: DPSGDConfiguration(
                samplingRate: 1, noiseMultiplier: 0, clipNorm: 1e6, steps: 3, learningRate: 0.1, momentum: 0),
            random: &random)
        _ = Trainer.train(
            &plain, on: small, preprocessing: preprocessing,
            config: TrainingConfig(epochs: 3, batchSize: 64, learningRate: 0.1, momentum: 0, seed: 1))
        for (a, b) in zip(dp.parameters, plain.parameters) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testPoissonSamplingTakesQTimesNExamplesPerStepOnAverage() throws {
        let (data, preprocessing) = try digits()
        var model = MLP(architecture: try ModelArchitecture(parsing: "64-8-10"), seed: 1)
        var random = SecureRandom(key: [UInt8](repeating: 1, count: 32))
        let report = DPSGD.train(
            &model, on: data, preprocessing: preprocessing,
            configuration: DPSGDConfiguration(
                samplingRate: 0.02, noiseMultiplier: 1, clipNorm: 1, steps: 200, learningRate: 0.05, momentum: 0),
            random: &random)
        let expected = 0.02 * Double(data.count) * 200
        XCTAssertEqual(Double(report.sampledExamples), expected, accuracy: 4 * expected.squareRoot())
    }

    func testTheClippedSumIsScaledAndAccumulatedOntoTheNoise() throws {
        let (data, preprocessing) = try digits()
        let model = MLP(architecture: try ModelArchitecture(parsing: "64-16-10"), seed: 3)
        let batch = data.subset(Array(0..<32))
        let features = preprocessing.apply(batch.features)
        var random = SecureRandom(key: [UInt8](repeating: 4, count: 32))
        let noise = GaussianNoise.samples(count: model.parameters.count, standardDeviation: 0.1, using: &random)
        let plain = model.clippedGradientSum(features: features, labels: batch.labels, rows: 32, clipNorm: 0.5)
        let fused = model.clippedGradientSum(
            features: features, labels: batch.labels, rows: 32, clipNorm: 0.5, scale: 0.25, addingTo: noise)
        XCTAssertEqual(fused.norms, plain.norms)
        XCTAssertEqual(fused.lossSum, plain.lossSum)
        for index in noise.indices {
            XCTAssertEqual(fused.gradient[index], noise[index] + 0.25 * plain.gradient[index], accuracy: 1e-6)
        }
    }

    func testEachStepAddsNoiseOfDeviationSigmaCOverTheExpectedBatchSize() throws {
        let (data, preprocessing) = try digits()
        let initial = MLP(architecture: try ModelArchitecture(parsing: "64-64-10"), seed: 2)
        var model = initial
        var random = SecureRandom(key: [UInt8](repeating: 2, count: 32))
        let configuration = DPSGDConfiguration(
            samplingRate: 0.05, noiseMultiplier: 1e6, clipNorm: 1e-6, steps: 1, learningRate: 0.5, momentum: 0)
        _ = DPSGD.train(&model, on: data, preprocessing: preprocessing, configuration: configuration, random: &random)
        // With C this small the clipped sum is negligible: the step is −η · N(0, σ²C²) / (q·N).
        let steps = zip(model.parameters, initial.parameters).map { Double($0 - $1) }
        let deviation = (steps.reduce(0) { $0 + $1 * $1 } / Double(steps.count)).squareRoot()
        let expected = 0.5 * 1e6 * 1e-6 / (0.05 * Double(data.count))
        XCTAssertEqual(deviation, expected, accuracy: 0.05 * expected)
    }

    func testGaussianNoiseHasTheAskedDeviationAndTheKeyFixesTheStream() {
        var random = SecureRandom(key: [UInt8](repeating: 3, count: 32))
        var values = [Float](repeating: 0, count: 200_001)
        GaussianNoise.add(standardDeviation: 2.5, to: &values, using: &random)
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance.squareRoot(), 2.5, accuracy: 0.02)
        var same = SecureRandom(key: [UInt8](repeating: 3, count: 32))
        var other = SecureRandom(key: [UInt8](repeating: 4, count: 32))
        var again = [Float](repeating: 0, count: 200_001)
        GaussianNoise.add(standardDeviation: 2.5, to: &again, using: &same)
        XCTAssertEqual(again, values)
        XCTAssertNotEqual(other.next(), SecureRandom(key: [UInt8](repeating: 3, count: 32)).nextCopy())
    }
}

private extension SecureRandom {
    func nextCopy() -> UInt64 {
        var copy = self
        return copy.next()
    }
}
