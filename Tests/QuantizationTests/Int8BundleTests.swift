import Quantization
import StarlingCore
import XCTest

final class Int8BundleTests: XCTestCase {
    private func randomBundle(_ architecture: String, seed: UInt64 = 5) throws -> ModelBundle {
        let parsed = try ModelArchitecture(parsing: architecture)
        var rng = SeededRNG(seed: seed)
        let mean = (0..<parsed.inputSize).map { _ in Float(rng.nextGaussian()) }
        let std = (0..<parsed.inputSize).map { _ in Float(0.5 + rng.nextDouble()) }
        var model = MLP(architecture: parsed, seed: seed)
        for index in model.parameters.indices where model.parameters[index] == 0 {
            model.parameters[index] = Float(rng.nextGaussian()) * 0.1  // non-zero biases
        }
        let manifest = try ModelManifest(
            name: "random", version: 3, architecture: parsed, labels: (0..<parsed.outputSize).map(String.init),
            preprocessing: Preprocessing(standardization: try Standardization(mean: mean, std: std)),
            confidenceThreshold: 0.5)
        return try ModelBundle(manifest: manifest, model: .dense(model))
    }

    private func randomFeatures(rows: Int, width: Int, seed: UInt64 = 9) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<(rows * width)).map { _ in Float(rng.nextGaussian()) }
    }

    func test_encodedBundle_decodesToTheSameLayersAndPredictions() throws {
        let bundle = try randomBundle("20-13-7-3")
        let calibration = Dataset(
            featureCount: 20, features: randomFeatures(rows: 50, width: 20), labels: [Int](repeating: 0, count: 50))
        for int8 in [try Int8Bundle(quantizing: bundle), try Int8Bundle(quantizing: bundle, calibration: calibration)] {
            let decoded = try Int8Bundle(decoding: int8.encoded())
            XCTAssertEqual(decoded, int8)
            XCTAssertEqual(decoded.activationQuantization, int8.activationQuantization)
            XCTAssertEqual(decoded.encoded(), int8.encoded())
            let features = randomFeatures(rows: 11, width: 20)
            XCTAssertEqual(decoded.predict(features: features, rows: 11), int8.predict(features: features, rows: 11))
        }
    }

    func test_encodedBundle_usesTheContractTensorNamesAndMetadata() throws {
        let bundle = try randomBundle("6-4-2")
        let calibration = Dataset(featureCount: 6, features: randomFeatures(rows: 4, width: 6), labels: [0, 1, 0, 1])
        let file = try SafetensorsFile(decoding: try Int8Bundle(quantizing: bundle, calibration: calibration).encoded())
        XCTAssertEqual(file.tensors["layers.0.weight"]?.dtype, .i8)
        XCTAssertEqual(file.tensors["layers.0.weight"]?.shape, [4, 6])
        XCTAssertEqual(file.tensors["layers.1.weight_scale"]?.shape, [2])
        XCTAssertEqual(file.tensors["layers.1.bias"]?.dtype, .f32)
        XCTAssertEqual(file.tensors["layers.1.input_scale"]?.shape, [1])
        XCTAssertEqual(file.metadata["starling.quantization"], "static")
        let manifest = try XCTUnwrap(file.metadata["starling.manifest"])
        XCTAssertEqual(
            manifest, String(decoding: try ModelBundle(decoding: bundle.encoded()).encodedManifest, as: UTF8.self))
        let dynamic = try SafetensorsFile(decoding: try Int8Bundle(quantizing: bundle).encoded())
        XCTAssertEqual(dynamic.metadata["starling.quantization"], "dynamic")
        XCTAssertNil(dynamic.tensors["layers.0.input_scale"])
    }

    func test_predictions_areIdenticalOnEverySupportedPath() throws {
        let bundle = try Int8Bundle(quantizing: try randomBundle("37-29-11"))
        let features = randomFeatures(rows: 70, width: 37)
        let expected = bundle.predict(features: features, rows: 70, path: .portable)
        for path in Int8KernelPath.supported {
            XCTAssertEqual(bundle.predict(features: features, rows: 70, path: path), expected, "\(path)")
        }
    }

    func test_predictor_chunksLargeInputs_andMatchesBundlePredict() throws {
        let bundle = try Int8Bundle(quantizing: try randomBundle("9-5-4"))
        let features = randomFeatures(rows: 23, width: 9)
        let predictor = Int8Predictor(bundle: bundle, maximumRows: 4)
        XCTAssertEqual(predictor.predict(features: features, rows: 23), bundle.predict(features: features, rows: 23))
    }

    func test_int8Probabilities_trackFP32_forReluSigmoidAndTanh() throws {
        for architecture in ["30-24-16-5", "30-24-5/sigmoid", "30-24-5/tanh", "30-5"] {
            let fp32 = try randomBundle(architecture)
            let features = randomFeatures(rows: 40, width: 30)
            let expected = fp32.predict(features: features, rows: 40)
            for int8 in [try Int8Bundle(quantizing: fp32)] {
                let actual = int8.predict(features: features, rows: 40)
                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 0.05, architecture)
                for row in 0..<40 {
                    XCTAssertEqual(actual[(row * 5)..<(row * 5 + 5)].reduce(0, +), 1, accuracy: 1e-5)
                }
            }
        }
    }

    func test_changingTheManifestPreprocessing_changesPredictionsLikeAFreshQuantization() throws {
        let fp32 = try randomBundle("8-6-3")
        var int8 = try Int8Bundle(quantizing: fp32)
        var shifted = fp32
        shifted.manifest.preprocessing = Preprocessing(
            standardization: try Standardization(
                mean: [Float](repeating: 0.5, count: 8), std: [Float](repeating: 2, count: 8)))
        int8.manifest = shifted.manifest
        let features = randomFeatures(rows: 5, width: 8)
        XCTAssertEqual(
            int8.predict(features: features, rows: 5),
            try Int8Bundle(quantizing: shifted).predict(features: features, rows: 5))
    }

    func test_staticCalibration_rejectsEmptyOrMismatchedData() throws {
        let bundle = try randomBundle("6-4-2")
        XCTAssertThrowsError(
            try Int8Bundle(quantizing: bundle, calibration: Dataset(featureCount: 6, features: [], labels: []))
        ) {
            XCTAssertEqual($0 as? QuantizationError, .emptyCalibration)
        }
        XCTAssertThrowsError(
            try Int8Bundle(quantizing: bundle, calibration: Dataset(featureCount: 1, features: [1], labels: [0]))
        ) {
            XCTAssertEqual($0 as? QuantizationError, .calibrationWidthMismatch(expected: 6, actual: 1))
        }
    }

    func test_decoding_rejectsAnFP32BundleAndAWrongWeightDType() throws {
        let fp32 = try randomBundle("6-4-2")
        XCTAssertThrowsError(try Int8Bundle(decoding: fp32.encoded())) { error in
            XCTAssertTrue("\(error)".contains("starling.quantization"), "\(error)")
        }
        var file = try SafetensorsFile(decoding: try Int8Bundle(quantizing: fp32).encoded())
        file.tensors["layers.0.weight"] = SafetensorsFile.float32(Tensor.zeros([4, 6]))
        XCTAssertThrowsError(try Int8Bundle(decoding: file.encoded())) { error in
            XCTAssertEqual("\(error)", "invalid int8 bundle: 'layers.0.weight' has dtype F32, expected I8")
        }
        XCTAssertThrowsError(try Int8Bundle(decoding: [1, 2, 3])) { error in
            guard case .safetensors = error as? QuantizationError else { return XCTFail("\(error)") }
        }
    }
}

private extension ModelBundle {
    /// The manifest JSON this bundle writes.
    var encodedManifest: [UInt8] {
        let file = try? SafetensorsFile(decoding: encoded())
        return Array((file?.metadata[ModelBundle.manifestMetadataKey] ?? "").utf8)
    }
}
