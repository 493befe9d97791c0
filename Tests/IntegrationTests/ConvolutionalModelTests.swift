import Foundation
import Quantization
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// A convolutional model through the whole product with the real binaries: `starling model create
/// --arch-file` registers it, agents train it in secure-aggregated rounds (with FedAvg and with
/// FedAdam on the server) and with DP-SGD, a canary
/// rollout with smoke tests puts a trained version on every device, and the agents answer phase
/// one with its int8 artifact.
final class ConvolutionalModelTests: XCTestCase {
    /// A small CNN over the digits read as 8×8×1 images.
    private static let layerList = """
        {"input": [8, 8, 1],
         "layers": [{"type": "conv2d", "name": "stem", "filters": 8, "kernel": [3], "padding": [1]}, {"type": "relu"},
                    {"type": "depthwise_conv2d", "kernel": [3], "padding": [1]}, {"type": "group_norm", "groups": 4},
                    {"type": "relu6"}, {"type": "max_pool", "kernel": [2]},
                    {"type": "conv2d", "filters": 16, "kernel": [3], "padding": [1]}, {"type": "relu"},
                    {"type": "flatten"}, {"type": "dense", "units": 10}]}
        """

    func test_aCNNFromAnArchFile_trainsInSecureAndPrivateRounds_rollsOut_andAnswersPhaseOneInInt8() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = aggregator.admin
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        let archFile = aggregator.folder.appendingPathComponent("model.json")
        try Self.layerList.write(to: archFile, atomically: true, encoding: .utf8)

        let tooLarge = aggregator.folder.appendingPathComponent("too-large.json")
        try Self.layerList.replacingOccurrences(
            of: #""kernel": [3], "padding": [1]}, {"type": "relu"},"#, with: #""kernel": [11]}, {"type": "relu"},"#
        )
        .write(to: tooLarge, atomically: true, encoding: .utf8)
        let refused = try await runStarling(
            ["model", "create", "--name", "broken", "--arch-file", tooLarge.path], environment: environment)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("'stem'") && refused.stderr.contains("8×8"), refused.stderr)

        let created = try await runStarling(
            [
                "model", "create", "--name", "cnn", "--arch-file", archFile.path, "--standardize-from",
                TestData.digits.path, "--threshold", "0.5",
            ], environment: environment)
        XCTAssertEqual(created.status, 0, created.stderr)
        let models = try await admin.models()
        XCTAssertEqual(models.map(\.name), ["cnn"], "the refused description registered nothing")
        let listed = try await runStarling(["model", "list"], environment: environment)
        XCTAssertTrue(listed.stdout.contains("8x8x1→10 (10 layers)"), listed.stdout)

        let urls = try await aggregator.startAgents(3, rows: 150)
        try await aggregator.waitForOnlineDevices(3)
        let secure = try await finished(
            try await admin.startRun(
                StartRunRequest(
                    model: "cnn", baseVersion: 1, clients: 3, minClients: 3, localEpochs: 3, learningRate: 0.05,
                    rounds: 3, deadlineSeconds: 60, seed: 5, secureAggregation: true)),
            on: aggregator)
        XCTAssertEqual(secure.state, .completed, secure.failureReason ?? "")
        let trained = try XCTUnwrap(secure.rounds.last?.producedVersion)
        let heldOut = try Self.heldOut(from: 450)
        let initialAccuracy = try await accuracy(version: 1, on: heldOut, aggregator)
        let trainedAccuracy = try await accuracy(version: trained, on: heldOut, aggregator)
        print("held-out accuracy of the CNN: version 1 \(initialAccuracy), version \(trained) \(trainedAccuracy)")
        XCTAssertGreaterThanOrEqual(trainedAccuracy, 0.75, "from \(initialAccuracy)")
        XCTAssertGreaterThan(trainedAccuracy, initialAccuracy + 0.3)

        // A server optimizer steps on the CNN's secure aggregate as on an MLP's.
        var adaptive = StartRunRequest(
            model: "cnn", baseVersion: 1, clients: 3, minClients: 3, localEpochs: 3, learningRate: 0.05, rounds: 2,
            deadlineSeconds: 60, seed: 7, secureAggregation: true)
        adaptive.serverOptimizer = .defaults(for: .fedadam)
        let fedAdam = try await finished(try await admin.startRun(adaptive), on: aggregator)
        XCTAssertEqual(fedAdam.state, .completed, fedAdam.failureReason ?? "")
        let adamVersion = try XCTUnwrap(fedAdam.rounds.last?.producedVersion)
        let adamAccuracy = try await accuracy(version: adamVersion, on: heldOut, aggregator)
        print("held-out accuracy of the CNN after 2 FedAdam rounds: \(adamAccuracy)")
        XCTAssertGreaterThan(adamAccuracy, initialAccuracy + 0.2)

        var privateRun = StartRunRequest(
            model: "cnn", baseVersion: trained, clients: 3, minClients: 3, localEpochs: 1, learningRate: 0.05,
            rounds: 1, deadlineSeconds: 60, seed: 6)
        privateRun.privacy = PrivacyRequest(mode: .local, epsilon: 8, delta: 1e-5, clipNorm: 1)
        let dp = try await finished(try await admin.startRun(privateRun), on: aggregator)
        XCTAssertEqual(dp.state, .completed, dp.failureReason ?? "")
        XCTAssertNotNil(dp.rounds.last?.producedVersion, "DP-SGD on the devices produced a version")

        let rollout = try await admin.deploy(
            CreateDeploymentRequest(
                model: "cnn", version: trained, selector: .all, strategy: .canary, waves: [34, 100], bakeSeconds: 1))
        let completed = try await aggregator.deployment(rollout.id) { $0.state != .running }
        XCTAssertEqual(completed.state, .completed, completed.reason ?? "")
        try await aggregator.waitForFleet(of: 3, running: "cnn", version: trained)

        let int8 = try Int8Bundle(decoding: try await admin.weights(model: "cnn", version: trained, format: .int8))
        XCTAssertNotNil(int8.manifest.architecture.network)
        let local = aggregator.client(baseURL: try XCTUnwrap(urls.first), tls: nil)
        var phaseOne = 0
        for row in 0..<5 {
            let features = Array(heldOut.features[(row * 64)..<((row + 1) * 64)])
            let answer: Prediction = try await local.post(
                APIPath.agentPredict, json: PredictRequest(key: "r\(row)", features: features.map(Double.init)))
            XCTAssertEqual(answer.modelVersion, "cnn@\(trained)")
            let probabilities = int8.predict(features: features, rows: 1)
            if answer.phase == 1 {
                phaseOne += 1
                let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
                XCTAssertEqual(answer.label, int8.manifest.labels[best], "phase one is the int8 artifact's answer")
            }
        }
        XCTAssertGreaterThan(phaseOne, 0, "the trained CNN answered some rows itself")
    }

    private func finished(_ run: RunInfo, on aggregator: AggregatorHarness) async throws -> RunInfo {
        let admin = aggregator.admin
        return try await Wait.until("run \(run.id) to end", timeout: .seconds(180), interval: .milliseconds(100)) {
            guard let info = try? await admin.run(id: run.id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
    }

    /// The digits rows from `start` on, which no agent holds.
    private static func heldOut(from start: Int) throws -> Dataset {
        let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
        let data = try table.dataset(classes: table.distinctLabels)
        return data.subset(Array(start..<data.count))
    }

    private func accuracy(version: Int, on data: Dataset, _ aggregator: AggregatorHarness) async throws -> Double {
        let bundle = try ModelBundle(decoding: try await aggregator.admin.weights(model: "cnn", version: version))
        let probabilities = bundle.predict(features: data.features, rows: data.count)
        let correct = (0..<data.count).filter { row in
            let scores = probabilities[(row * 10)..<((row + 1) * 10)]
            return scores.indices.max { scores[$0] < scores[$1] }.map { $0 - row * 10 } == data.labels[row]
        }
        return Double(correct.count) / Double(data.count)
    }
}
