import Foundation
import XCTest

@testable import Quantization
@testable import StarlingCore

/// The int8 artifact of a layer network: what the aggregator quantizes and signs is what a device
/// decodes and runs, bit for bit, and a tampered artifact is refused by name.
final class Int8LayerBundleTests: XCTestCase {
    private func makeBundle() throws -> ModelBundle {
        let architecture = try ModelArchitecture(
            network: NetworkDescription(
                input: [6, 6, 2],
                layers: [
                    LayerDescription(type: "conv2d", filters: 4, kernel: [3], padding: [1]),
                    LayerDescription(type: "group_norm", groups: 2), LayerDescription(type: "relu"),
                    LayerDescription(type: "depthwise_conv2d", multiplier: 2, kernel: [3], stride: [2]),
                    LayerDescription(type: "relu6"), LayerDescription(type: "global_avg_pool"),
                    LayerDescription(type: "dense", units: 3),
                ]))
        let manifest = try ModelManifest(
            name: "maps", version: 1, architecture: architecture, labels: ["x", "y", "z"],
            preprocessing: Preprocessing(
                standardization: Standardization(
                    mean: [Float](repeating: 0.5, count: 72), std: [Float](repeating: 0.25, count: 72))),
            confidenceThreshold: 0.5)
        return try ModelBundle(manifest: manifest, model: Model(architecture: architecture, seed: 11))
    }

    func testTheArtifactRoundTripsAndPredictsAsTheLayerNetworkInInt8() throws {
        let bundle = try makeBundle()
        guard case .network(let network) = bundle.model else { return XCTFail("a layer network") }
        let int8 = try Int8Bundle(quantizing: bundle)
        XCTAssertEqual(int8.activationQuantization, .dynamic)
        let bytes = int8.encoded()
        let decoded = try Int8Bundle(decoding: bytes)
        XCTAssertEqual(decoded, int8)
        XCTAssertEqual(decoded.encoded(), bytes)
        let file = try SafetensorsFile(decoding: bytes)
        XCTAssertEqual(file.tensors["layers.0.weight"]?.dtype, .i8)
        XCTAssertEqual(file.tensors["layers.0.weight"]?.shape, [4, 3, 3, 2])
        XCTAssertEqual(file.tensors["layers.3.weight"]?.shape, [8, 3, 3], "depthwise weights are channel-major")
        XCTAssertEqual(file.tensors["layers.1.weight"]?.dtype, .f32, "group normalisation stays in float")

        let rows = 5
        let raw = (0..<(rows * 72)).map { Float(($0 * 37) % 101) / 100 }
        let expected = Int8LayerNetwork(network: network, path: .portable)
            .probabilities(features: bundle.manifest.preprocessing.apply(raw), rows: rows)
        XCTAssertEqual(decoded.predict(features: raw, rows: rows, path: .portable), expected)
        XCTAssertEqual(decoded.predict(features: raw, rows: rows), expected, "every path gives the portable result")
        let predictor = Int8Predictor(bundle: decoded, maximumRows: 2)
        XCTAssertEqual(predictor.predict(features: raw, rows: rows), expected, "chunked rows give the same")
        let float = bundle.predict(features: raw, rows: rows)
        for (a, b) in zip(expected, float) { XCTAssertEqual(a, b, accuracy: 0.05) }
    }

    func testStaticCalibrationIsRefusedForALayerNetwork() throws {
        let bundle = try makeBundle()
        let calibration = Dataset(featureCount: 72, features: [Float](repeating: 0.5, count: 144), labels: [0, 1])
        assertThrows(
            try Int8Bundle(quantizing: bundle, calibration: calibration),
            equalTo: QuantizationError.calibrationNeedsDenseModel)
    }

    func testATamperedArtifactIsRefusedNamingTheTensor() throws {
        let bytes = try Int8Bundle(quantizing: makeBundle()).encoded()
        var file = try SafetensorsFile(decoding: bytes)
        file.tensors["layers.3.weight_scale"] = SafetensorsFile.float32(
            Tensor(shape: [8], values: [Float](repeating: -1, count: 8)))
        assertThrows(
            try Int8Bundle(decoding: file.encoded()),
            equalTo: QuantizationError.invalidBundle("'layers.3.weight_scale' must hold positive finite scales"))
        file = try SafetensorsFile(decoding: bytes)
        file.tensors["layers.0.weight"] = SafetensorsFile.float32(
            Tensor(shape: [4, 3, 3, 2], values: [Float](repeating: 0, count: 72)))
        assertThrows(
            try Int8Bundle(decoding: file.encoded()),
            equalTo: QuantizationError.invalidBundle("'layers.0.weight' has dtype F32, expected I8"))
        file = try SafetensorsFile(decoding: bytes)
        file.tensors["layers.6.input_scale"] = SafetensorsFile.float32(Tensor(shape: [1], values: [1]))
        assertThrows(
            try Int8Bundle(decoding: file.encoded()),
            equalTo: QuantizationError.model(.unexpectedTensor("layers.6.input_scale")))
        file = try SafetensorsFile(decoding: bytes)
        file.metadata[Int8Bundle.quantizationMetadataKey] = "static"
        XCTAssertThrowsError(try Int8Bundle(decoding: file.encoded()))
    }
}

/// Asserts that `body` throws exactly `expected`.
private func assertThrows<E: Error & Equatable, T>(
    _ body: @autoclosure () throws(E) -> T, equalTo expected: E, file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try body()
        XCTFail("expected \(expected), but nothing was thrown", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}
