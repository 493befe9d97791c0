import XCTest

@testable import ONNXImport
@testable import StarlingCore

/// Convolutional ONNX graphs built with onnx.helper (Fixtures/make_fixtures.py) import as layer
/// networks that give ONNX Runtime's probabilities within 1e-5 on channels-last features, and graphs
/// with an unsupported operator, attribute or dynamic shape are refused naming it.
final class ONNXConvolutionalImportTests: XCTestCase {
    /// One row of ONNX Runtime's channels-first input, channels-last.
    private func channelsLast(_ row: [Float], shape: [Int]) -> [Float] {
        let (channels, height, width) = shape.count == 4 ? (shape[1], shape[2], shape[3]) : (shape[1], 1, shape[2])
        var values = [Float](repeating: 0, count: row.count)
        for channel in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    values[(y * width + x) * channels + channel] = row[(channel * height + y) * width + x]
                }
            }
        }
        return values
    }

    private func assertMatchesONNXRuntime(
        _ name: String, in folder: URL = Fixtures.directory, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let network = try ONNXImporter.layerNetwork(fromONNX: Fixtures.onnx(name, in: folder))
        let reference = try Fixtures.reference(name, in: folder)
        let features = reference.rows.flatMap { channelsLast($0, shape: reference.inputShape) }
        let probabilities = network.probabilities(features: features, rows: reference.rows.count)
        let expected = reference.probabilities.flatMap { $0 }
        XCTAssertEqual(probabilities.count, expected.count, name, file: file, line: line)
        let worst = zip(probabilities, expected).map { abs(Double($0) - $1) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-5, "\(name): largest difference from ONNX Runtime", file: file, line: line)
    }

    func testALeNetStyleGraphWithBatchNormalizationPaddingAndDilationMatchesONNXRuntime() throws {
        try assertMatchesONNXRuntime("cnn_lenet")
        let network = try ONNXImporter.layerNetwork(fromONNX: Fixtures.onnx("cnn_lenet"))
        XCTAssertEqual(
            network.layout.description.layers.map(\.type),
            ["conv2d", "relu", "max_pool", "conv2d", "relu6", "avg_pool", "flatten", "dense", "relu", "dense"],
            "batch normalisation is folded into the convolution before it")
    }

    func testADSCNNStyleGraphWithADepthwiseConvolutionMatchesONNXRuntime() throws {
        try assertMatchesONNXRuntime("cnn_dscnn")
        let network = try ONNXImporter.layerNetwork(fromONNX: Fixtures.onnx("cnn_dscnn"))
        XCTAssertEqual(network.layout.description.layers[2].type, "depthwise_conv2d")
        XCTAssertEqual(network.layout.description.layers[2].multiplier, 2)
    }

    func testModelsExportedByPyTorchMatchONNXRuntime() throws {
        try assertMatchesONNXRuntime("torch_lenet", in: Fixtures.torchDirectory)
        try assertMatchesONNXRuntime("torch_dscnn", in: Fixtures.torchDirectory)
        let dscnn = try ONNXImporter.layerNetwork(fromONNX: Fixtures.onnx("torch_dscnn", in: Fixtures.torchDirectory))
        XCTAssertEqual(
            dscnn.layout.description.layers.map(\.type),
            [
                "conv2d", "relu", "depthwise_conv2d", "relu6", "conv2d", "relu", "depthwise_conv2d", "relu6", "conv2d",
                "relu", "global_avg_pool", "dense",
            ],
            "PyTorch's exporter folds batch normalisation; groups = channels is depthwise; ReLU6 is Clip; a flatten of a 1×1 map is the map"
        )
    }

    func testA1DConvolutionGraphMatchesONNXRuntime() throws {
        try assertMatchesONNXRuntime("cnn_conv1d")
    }

    func testUnsupportedOperatorsAttributesAndDynamicShapesAreRefusedNamingThem() throws {
        let cases: [(String, ONNXImportError.Kind, String)] = [
            ("cnn_unsupported_grouped", .unsupportedAttribute, "The Conv node 'grouped' has group=2"),
            ("cnn_unsupported_ceil_mode", .unsupportedAttribute, "The MaxPool node 'ceiling' has ceil_mode=1"),
            ("cnn_unsupported_auto_pad", .unsupportedAttribute, "The Conv node 'same' has auto_pad=SAME_UPPER"),
            ("cnn_unsupported_operator", .unsupportedOperator, "The operator LRN (node 'lrn') is not supported"),
            (
                "cnn_unsupported_dynamic", .unsupportedTopology,
                "The graph input 'image' must be [batch, channels, height, width]"
            ),
        ]
        for (name, kind, start) in cases {
            do {
                _ = try ONNXImporter.layerNetwork(fromONNX: Fixtures.onnx(name))
                XCTFail("\(name) imported")
            } catch let error as ONNXImportError {
                XCTAssertEqual(error.kind, kind, name)
                XCTAssertTrue(error.description.hasPrefix(start), "\(name): \(error.description)")
            }
        }
    }
}
