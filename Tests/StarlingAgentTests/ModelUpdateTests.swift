import StarlingCore
import StarlingProtocol
import XCTest

@testable import StarlingAgent

final class ModelUpdateTests: XCTestCase {
    func test_encoded_decodesToTrainedMinusBaseWithMetadata() throws {
        let architecture = try ModelArchitecture(layerSizes: [3, 4, 2])
        let base = Model(architecture: architecture, seed: 1)
        let trained = Model(architecture: architecture, seed: 2)
        let update = try ModelUpdate(
            base: base, trained: trained, trainSamples: 40, trainLoss: 0.5, evalSamples: 10, evalAccuracy: 0.75)

        let file = try SafetensorsFile(decoding: update.encoded())
        var tensors: [String: Tensor] = [:]
        for name in file.tensors.keys { tensors[name] = try file.floatTensor(name) }
        let delta = try MLP(architecture: architecture, namedTensors: tensors)
        XCTAssertEqual(delta.parameters, zip(trained.parameters, base.parameters).map { $0 - $1 })
        XCTAssertEqual(
            Set(file.tensors.keys), ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        XCTAssertEqual(file.metadata[UpdateMetadataKey.trainSamples], "40")
        XCTAssertEqual(file.metadata[UpdateMetadataKey.evalSamples], "10")
        XCTAssertEqual(file.metadata[UpdateMetadataKey.trainLoss].flatMap(Double.init), 0.5)
        XCTAssertEqual(file.metadata[UpdateMetadataKey.evalAccuracy].flatMap(Double.init), 0.75)
    }

    func test_localTraining_usesOnlySamplesThatFitTheModel() throws {
        let bundle = try makeToyBundle()
        let task = toyTask(learningRate: 0.1)
        let train = [
            LabelledSample(features: [1, 0], label: "a"),
            LabelledSample(features: [0, 1], label: "b"),
            LabelledSample(features: [1, 0], label: "unknown"),
            LabelledSample(features: [1, 0, 0], label: "a"),
        ]
        let eval = [LabelledSample(features: [0, 1], label: "b")]
        guard case .contribute(let update) = try LocalTraining.run(base: bundle, task: task, train: train, eval: eval)
        else {
            return XCTFail("two samples fit the model, so the device must contribute")
        }
        XCTAssertEqual(update.trainSamples, 2)
        XCTAssertEqual(update.evalSamples, 1)
        XCTAssertEqual(update.evalAccuracy, 1)
        XCTAssertTrue(update.delta.parameters.allSatisfy(\.isFinite))

        guard case .fail(let failure) = try LocalTraining.run(base: bundle, task: task, train: [train[2]], eval: eval)
        else {
            return XCTFail("no sample fits the model, so the device must report it")
        }
        XCTAssertEqual(failure.reason, ClientFailureReason.noData)
    }

    func test_localTraining_whoseLossBecomesNonFinite_reportsDivergenceAndSendsNoUpdate() throws {
        let bundle = try makeToyBundle()
        var task = toyTask(learningRate: 1e30)
        task.training = LocalTrainingSettings(gradientClipNorm: nil, weightDecay: 0, proximalMu: 0)
        // The same features under both labels: no model fits them, so the steps never stop growing.
        let train = (0..<32).map { LabelledSample(features: [1, 0], label: $0 % 2 == 0 ? "a" : "b") }
        guard case .fail(let failure) = try LocalTraining.run(base: bundle, task: task, train: train, eval: []) else {
            return XCTFail("a learning rate of 1e30 must make the training diverge")
        }
        XCTAssertEqual(failure.reason, ClientFailureReason.diverged)
        XCTAssertFalse(failure.detail.isEmpty)
    }

    private func toyTask(learningRate: Double) -> RoundTask {
        RoundTask(
            runId: "r1", round: 0, model: "toy", baseVersion: 3, sha256: "", localEpochs: 2,
            learningRate: learningRate, momentum: 0.9, batchSize: 4, deadline: .distantFuture, seed: 5)
    }
}

/// A device's statistics task: only samples of the task's width count, and a device with more rows
/// than one contribution may carry summarises a strided subsample instead of failing.
final class LocalStatisticsTests: XCTestCase {
    func test_statistics_countOnlySamplesOfTheTasksWidth_andSubsampleBeyondTheRowLimit() {
        let task = StatisticsTask(width: 2, grid: .standard)
        let samples =
            (0..<10).map { LabelledSample(features: [Float($0), 1], label: "a") }
            + [LabelledSample(features: [1, 2, 3], label: "a")]
        guard case .contribute(let all) = LocalStatistics.run(task: task, train: samples) else {
            return XCTFail("ten samples fit the width")
        }
        XCTAssertEqual(all.rows, 10)
        XCTAssertEqual(all.sums[0], 45)
        guard case .contribute(let strided) = LocalStatistics.run(task: task, train: samples, maximumRows: 4) else {
            return XCTFail("a subsample still contributes")
        }
        XCTAssertEqual(strided.rows, 4)
        XCTAssertEqual(strided.sums[0], 0 + 3 + 6 + 9)
        guard
            case .fail(let failure) = LocalStatistics.run(
                task: StatisticsTask(width: 5, grid: .standard), train: samples)
        else {
            return XCTFail("no sample has five features")
        }
        XCTAssertEqual(failure.reason, ClientFailureReason.noData)
    }
}
