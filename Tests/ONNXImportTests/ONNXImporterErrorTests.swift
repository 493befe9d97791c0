import StarlingCore
import XCTest

@testable import ONNXImport

/// Graphs the importer must refuse, each with a one-sentence error naming the operator, data type or node.
final class ONNXImporterErrorTests: XCTestCase {
    func testSklearnLinearClassifierIsRejectedNamingTheOperator() throws {
        let error = try importError(Fixtures.onnx("unsupported_sklearn_linear_classifier"))
        XCTAssertEqual(error.kind, .unsupportedOperator)
        XCTAssertEqual(error.subject, "ai.onnx.ml.LinearClassifier")
        XCTAssertTrue(error.description.contains("ai.onnx.ml.LinearClassifier"), error.description)
    }

    func testAConvolutionalGraphBecomesALayerNetworkBundleAndAnUnknownOperatorInOneIsRefused() throws {
        let bytes = try Fixtures.onnx("conv_single")
        let bundle = try ONNXImporter.bundle(fromONNX: bytes, name: "m", labels: ["a", "b"], confidenceThreshold: 0.5)
        guard case .network(let network) = bundle.model else { return XCTFail("a Conv graph makes a layer network") }
        XCTAssertEqual(network, try ONNXImporter.layerNetwork(fromONNX: bytes))
        XCTAssertEqual(bundle.manifest.architecture.inputSize, 64)
        XCTAssertEqual(bundle.manifest.labels, ["a", "b"])
        let error = try importError(Fixtures.onnx("cnn_unsupported_operator"))
        XCTAssertEqual(error.kind, .unsupportedOperator)
        XCTAssertTrue(error.description.contains("LRN (node 'lrn')"), error.description)
    }

    func testCastToDoubleIsRejectedNamingTheDataType() throws {
        let error = try importError(Fixtures.onnx("unsupported_float64"))
        XCTAssertEqual(error.kind, .unsupportedDataType)
        XCTAssertEqual(error.subject, "DOUBLE")
        XCTAssertTrue(error.description.contains("DOUBLE"), error.description)
    }

    func testFloat64InitializerIsRejectedNamingTheDataTypeAndTensor() throws {
        var model = try Onnx_ModelProto(serializedBytes: Fixtures.onnx("sklearn_mlp_tanh_iris"))
        let index = try XCTUnwrap(model.graph.initializer.firstIndex { $0.name == "coefficient" })
        var tensor = model.graph.initializer[index]
        tensor.dataType = Int32(Onnx_TensorProto.DataType.double.rawValue)
        tensor.doubleData = tensor.floatData.map(Double.init)
        tensor.floatData = []
        model.graph.initializer[index] = tensor
        let error = try importError(model.serializedBytes())
        XCTAssertEqual(error.kind, .unsupportedDataType)
        XCTAssertEqual(error.subject, "DOUBLE")
        XCTAssertEqual(
            error.description, "The tensor 'coefficient' has data type DOUBLE, but only FLOAT is supported here.")
    }

    func testMixedHiddenActivationsAreRejectedNamingBothNodes() throws {
        let error = try importError(Fixtures.onnx("unsupported_mixed_activations"))
        XCTAssertEqual(error.kind, .unsupportedTopology)
        XCTAssertTrue(error.description.contains("'tanh1'") && error.description.contains("'relu0'"), error.description)
    }

    func testGemmWithTransposedInputIsRejectedNamingTheAttribute() throws {
        var model = try Onnx_ModelProto(serializedBytes: Fixtures.onnx("torchlike_mlp_relu_logits"))
        let index = try XCTUnwrap(model.graph.node.firstIndex { $0.opType == "Gemm" })
        var transA = Onnx_AttributeProto()
        transA.name = "transA"
        transA.type = .int
        transA.i = 1
        model.graph.node[index].attribute.append(transA)
        let error = try importError(model.serializedBytes())
        XCTAssertEqual(error.kind, .unsupportedAttribute)
        XCTAssertEqual(
            error.description, "The Gemm node '/fc0/Gemm' has transA=1, but only transA=0 is supported.")
    }

    func testBranchingGraphIsRejectedAsNotAnMLP() throws {
        var model = try Onnx_ModelProto(serializedBytes: Fixtures.onnx("torchlike_mlp_relu_logits"))
        // A second reader of the first hidden activation (a skip connection) makes it a non-chain graph.
        var skip = Onnx_NodeProto()
        skip.opType = "Identity"
        skip.name = "skip"
        skip.input = ["/act0/Relu_output_0"]
        skip.output = ["skipped"]
        model.graph.node.append(skip)
        let error = try importError(model.serializedBytes())
        XCTAssertEqual(error.kind, .unsupportedTopology)
        XCTAssertTrue(error.description.contains("'/act0/Relu_output_0' is read by 2 nodes"), error.description)
    }

    func testGarbageBytesAreRejectedAsMalformed() throws {
        let error = try importError([0xFF, 0xFF, 0xFF, 0x01])
        XCTAssertEqual(error.kind, .malformedModel)
    }

    func testWrongLabelCountIsRejectedAsInvalidArguments() throws {
        let error = try importError(Fixtures.onnx("sklearn_mlp_tanh_iris"), labels: ["a", "b"])
        XCTAssertEqual(error.kind, .invalidArguments)
        XCTAssertTrue(error.description.contains("2 labels for 3 outputs"), error.description)
    }

    private func importError(
        _ bytes: [UInt8], labels: [String]? = nil, file: StaticString = #filePath, line: UInt = #line
    ) throws -> ONNXImportError {
        let result = Result { () throws(ONNXImportError) in
            try ONNXImporter.bundle(fromONNX: bytes, name: "m", labels: labels, confidenceThreshold: 0.5)
        }
        switch result {
        case .success(let bundle):
            XCTFail("expected an ONNXImportError, imported \(bundle.manifest.architecture)", file: file, line: line)
            throw ImportedUnexpectedly()
        case .failure(let error):
            return error
        }
    }
}

/// Thrown when a graph that should have been rejected imports.
private struct ImportedUnexpectedly: Error {}
