import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// The int8 phase-one path end to end with the real binaries: the aggregator quantizes what it
/// registers, `starling model predict --int8` agrees with fp32, and a deployment makes an agent
/// answer with the int8 artifact.
final class Int8PathTests: XCTestCase {
    func test_predictInt8_agreesWithFp32_andADeploymentMakesTheAgentRunInt8() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        let bundleFile = aggregator.folder.appendingPathComponent("digits.safetensors")
        try Data(try TrainedDigits.bundle().encoded()).write(to: bundleFile)
        let imported = try await runStarling(
            ["model", "import", "--safetensors", bundleFile.path, "--name", "digits"], environment: environment)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("int8 sha256"), imported.stdout)

        let fp32 = try await predictions(["--csv", TestData.digits.path], environment)
        let int8 = try await predictions(["--csv", TestData.digits.path, "--int8", "--version", "1"], environment)
        XCTAssertEqual(fp32.count, 1797)
        XCTAssertEqual(int8.count, fp32.count)
        let agreeing = zip(fp32, int8).filter { $0.label == $1.label }.count
        XCTAssertGreaterThanOrEqual(Double(agreeing) / Double(fp32.count), 0.99, "\(agreeing) of \(fp32.count) agree")
        XCTAssertEqual(int8.first?.probabilities.count, 10)

        let versions = try await aggregator.admin.versions(model: "digits")
        let version = try XCTUnwrap(versions.first)
        let slice = try TestData.digitsSlice(0..<40, in: aggregator.folder, name: "agent-0.csv")
        let apiURL = try await aggregator.startAgent(0, csv: slice)
        try await aggregator.waitForOnlineDevices(1)
        let deployment = try await aggregator.admin.deploy(
            CreateDeploymentRequest(model: "digits", version: 1, selector: .all))
        let admin = aggregator.admin
        _ = try await Wait.until("the agent to install digits@1", timeout: .seconds(30)) {
            (try? await admin.deployment(id: deployment.id))?.counts.installed == 1 ? true : nil
        }
        let stored = try Data(
            contentsOf: aggregator.fleet.agentDirectory(0)
                .appendingPathComponent("models/\(version.sha256Int8).int8.safetensors"))
        let served = try await admin.weights(model: "digits", version: 1, format: .int8)
        XCTAssertEqual(Array(stored), served)
        let log = try String(
            contentsOf: aggregator.folder.appendingPathComponent("agent-0.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("phase one runs int8"), log)
        XCTAssertTrue(log.contains(version.sha256Int8), log)

        let local = aggregator.client(baseURL: apiURL, tls: nil)
        let row = try XCTUnwrap(TrainedDigits.firstRow())
        let answer: Prediction = try await local.post(
            APIPath.agentPredict, json: PredictRequest(key: "r0", features: row))
        XCTAssertEqual(answer.modelVersion, "digits@1")
        XCTAssertEqual(answer.label, int8.first?.label)
    }

    func test_importOnnx_registersTheConvertedModel_andItsInt8ArtifactAgreesWithFp32() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        let fixtures = TestData.digits.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/ONNXImportTests/Fixtures")
        let imported = try await runStarling(
            [
                "model", "import", "--onnx", fixtures.appendingPathComponent("sklearn_mlp_relu_digits.onnx").path,
                "--name", "skdigits", "--labels", "0,1,2,3,4,5,6,7,8,9", "--threshold", "0.6",
            ], environment: environment)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let models = try await aggregator.admin.models()
        let model = try XCTUnwrap(models.first { $0.name == "skdigits" })
        XCTAssertEqual(model.confidenceThreshold, 0.6)
        XCTAssertEqual(model.labels.count, 10)

        let fp32 = try await predictions(["--csv", TestData.digits.path], model: "skdigits", environment)
        let int8 = try await predictions(["--csv", TestData.digits.path, "--int8"], model: "skdigits", environment)
        XCTAssertEqual(int8.count, 1797)
        let agreeing = zip(fp32, int8).filter { $0.label == $1.label }.count
        XCTAssertGreaterThanOrEqual(Double(agreeing) / Double(fp32.count), 0.99, "\(agreeing) of \(fp32.count) agree")

        let notONNX = try await runStarling(
            ["model", "import", "--onnx", fixtures.appendingPathComponent("make_fixtures.py").path, "--name", "bad"],
            environment: environment)
        XCTAssertEqual(notONNX.status, 1, notONNX.stderr)
        XCTAssertEqual(notONNX.stderr.split(separator: "\n").count, 1, notONNX.stderr)
    }

    func test_modelImport_withBothOrNeitherSource_exits2() async throws {
        let neither = try await runStarling(["model", "import", "--name", "x"], environment: [:])
        XCTAssertEqual(neither.status, 2, neither.stderr)
        XCTAssertTrue(neither.stderr.contains("exactly one of --safetensors and --onnx"), neither.stderr)
        let both = try await runStarling(
            ["model", "import", "--safetensors", "a", "--onnx", "b", "--name", "x"], environment: [:])
        XCTAssertEqual(both.status, 2, both.stderr)
    }

    func test_modelPredict_withCSVWithoutHeader_failsWithOneSentence() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("starling-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("rows.csv")
        try "1,2,3\n4,5,6\n".write(to: csv, atomically: true, encoding: .utf8)
        let result = try await runStarling(["model", "predict", "--model", "m", "--csv", csv.path], environment: [:])
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("a header row naming the columns is required"), result.stderr)
    }

    /// Runs `starling model predict --model <model>` with `arguments` and decodes its JSON lines.
    private func predictions(
        _ arguments: [String], model: String = "digits", _ environment: [String: String]
    ) async throws -> [RowPrediction] {
        let result = try await runStarling(
            ["model", "predict", "--model", model] + arguments, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try result.stdout.split(separator: "\n").map { line in
            try StarlingJSON.decoder().decode(RowPrediction.self, from: Data(line.utf8))
        }
    }
}

/// A 64-32-10 MLP trained on the digits data on this machine, as a user would bring one to import.
enum TrainedDigits {
    static func bundle() throws -> ModelBundle {
        let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
        let labels = table.distinctLabels
        let data = try table.dataset(classes: labels)
        let preprocessing = Preprocessing(
            standardization: .fit(features: table.features, featureCount: table.featureNames.count))
        let architecture = try ModelArchitecture(parsing: "64-32-10")
        var model = MLP(architecture: architecture, seed: 5)
        _ = Trainer.train(
            &model, on: data, preprocessing: preprocessing,
            config: TrainingConfig(epochs: 15, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 5))
        let manifest = try ModelManifest(
            name: "digits", version: 1, architecture: architecture, labels: labels, preprocessing: preprocessing,
            confidenceThreshold: 0)
        return try ModelBundle(manifest: manifest, model: .dense(model))
    }

    /// ``bundle()`` with the drift reference of a profile of every digits row, as a model made from
    /// a collected profile carries.
    static func profiledBundle() throws -> ModelBundle {
        let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
        var statistics = FeatureStatistics(width: table.featureNames.count)
        statistics.add(features: table.features, rows: table.labels.count)
        let profile = try FeatureProfile(name: "digits", version: 1, statistics: statistics, devices: 1)
        let trained = try bundle()
        let manifest = try ModelManifest(
            name: trained.manifest.name, version: 1, architecture: trained.manifest.architecture,
            labels: trained.manifest.labels, preprocessing: trained.manifest.preprocessing,
            drift: DriftReference(profile: profile), confidenceThreshold: 0)
        return try ModelBundle(manifest: manifest, model: trained.model)
    }

    /// The features of the first data row.
    static func firstRow() throws -> [Double]? {
        try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label").features.prefix(64).map(Double.init)
    }
}
