import StarlingCore
import XCTest

@testable import ONNXImport

/// Every accepted fixture, exported by skl2onnx or built like torch.onnx.export's output, imports to the
/// expected architecture and reproduces ONNX Runtime's probabilities within 1e-5.
final class ONNXImporterFixtureTests: XCTestCase {
    func testSklearnReluMLPMatchesOnnxRuntime() throws {
        try assertMatchesORT("sklearn_mlp_relu_digits", architecture: "64-32-16-10")
    }

    func testSklearnTanhMLPMatchesOnnxRuntime() throws {
        try assertMatchesORT("sklearn_mlp_tanh_iris", architecture: "4-8-6-3/tanh")
    }

    func testSklearnLogisticMLPImportsAsSigmoidAndMatchesOnnxRuntime() throws {
        try assertMatchesORT("sklearn_mlp_logistic_iris", architecture: "4-8-3/sigmoid")
    }

    func testTorchStyleGemmReluGraphEndingInLogitsOutputsTheirSoftmax() throws {
        try assertMatchesORT("torchlike_mlp_relu_logits", architecture: "64-24-12-10")
    }

    func testGemmWithAlphaBetaTransBZeroReshapeAndSoftmaxImportsAsLogisticRegression() throws {
        try assertMatchesORT("gemm_logreg_iris", architecture: "4-3")
    }

    func testManifestHasIdentityStandardisationDefaultLabelsAndTheGivenNameAndThreshold() throws {
        let bundle = try ONNXImporter.bundle(
            fromONNX: Fixtures.onnx("sklearn_mlp_tanh_iris"), name: "iris", labels: nil, confidenceThreshold: 0.7)
        XCTAssertEqual(bundle.manifest.name, "iris")
        XCTAssertEqual(bundle.manifest.version, 1)
        XCTAssertEqual(bundle.manifest.labels, ["0", "1", "2"])
        XCTAssertEqual(bundle.manifest.confidenceThreshold, 0.7)
        XCTAssertEqual(bundle.manifest.preprocessing, .identity(featureCount: 4))
        let labelled = try ONNXImporter.bundle(
            fromONNX: Fixtures.onnx("sklearn_mlp_tanh_iris"), name: "iris",
            labels: ["setosa", "versicolor", "virginica"], confidenceThreshold: 0.5)
        XCTAssertEqual(labelled.manifest.labels, ["setosa", "versicolor", "virginica"])
    }

    func testImportedBundleSurvivesSafetensorsRoundTripWithItsActivation() throws {
        let bundle = try ONNXImporter.bundle(
            fromONNX: Fixtures.onnx("sklearn_mlp_logistic_iris"), name: "iris", labels: nil, confidenceThreshold: 0.5)
        let decoded = try ModelBundle(decoding: bundle.encoded())
        XCTAssertEqual(decoded, bundle)
        XCTAssertEqual(decoded.manifest.architecture.dense?.hiddenActivation, .sigmoid)
    }

    private func assertMatchesORT(
        _ name: String, architecture: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let bundle = try ONNXImporter.bundle(
            fromONNX: Fixtures.onnx(name), name: name, labels: nil, confidenceThreshold: 0.5)
        XCTAssertEqual(bundle.manifest.architecture.description, architecture, file: file, line: line)
        let reference = try Fixtures.reference(name)
        let probabilities = bundle.predict(features: reference.rows.flatMap { $0 }, rows: reference.rows.count)
        let expected = reference.probabilities
        let width = bundle.manifest.architecture.outputSize
        XCTAssertEqual(probabilities.count, expected.count * width, file: file, line: line)
        for (row, expectedRow) in expected.enumerated() {
            XCTAssertEqual(expectedRow.count, width, file: file, line: line)
            for (j, p) in expectedRow.enumerated() {
                XCTAssertEqual(
                    Double(probabilities[row * width + j]), p, accuracy: 1e-5,
                    "\(name) row \(row) class \(j)", file: file, line: line)
            }
        }
    }
}
