import Foundation
import XCTest

@testable import StarlingCore

/// Layer networks as registry models: the architecture carries the layer list, bundles store and
/// reload them exactly, and dense manifests and bundles keep their old form.
final class LayerModelBundleTests: XCTestCase {
    /// A small CNN over 8×8×1 images, as `model.json` would give it.
    static let layerList = """
        {"input": [8, 8, 1],
         "layers": [{"type": "conv2d", "filters": 4, "kernel": [3], "padding": [1]}, {"type": "relu"},
                    {"type": "depthwise_conv2d", "kernel": [3], "padding": [1]}, {"type": "group_norm", "groups": 2},
                    {"type": "relu6"}, {"type": "max_pool", "kernel": [2]}, {"type": "flatten"},
                    {"type": "dense", "units": 3}]}
        """

    private func makeBundle() throws -> ModelBundle {
        let architecture = try ModelArchitecture(parsing: Self.layerList)
        let mean = (0..<64).map { Float($0 % 5) }
        let manifest = try ModelManifest(
            name: "images", version: 2, architecture: architecture, labels: ["a", "b", "c"],
            preprocessing: Preprocessing(
                standardization: Standardization(mean: mean, std: [Float](repeating: 2, count: 64))),
            confidenceThreshold: 0.6)
        return try ModelBundle(manifest: manifest, model: Model(architecture: architecture, seed: 5))
    }

    func testALayerListParsesPrintsAndCountsLikeItsLayout() throws {
        let architecture = try ModelArchitecture(parsing: Self.layerList)
        let layout = try XCTUnwrap(architecture.network)
        XCTAssertNil(architecture.dense)
        XCTAssertEqual(architecture.inputSize, 64)
        XCTAssertEqual(architecture.outputSize, 3)
        XCTAssertEqual(architecture.layerCount, 4, "layers with weights")
        XCTAssertEqual(architecture.parameterCount, layout.parameterCount)
        XCTAssertEqual(architecture.parameterCount, (36 + 4) + (36 + 4) + (4 + 4) + (64 * 3 + 3))
        XCTAssertTrue(architecture.description.hasPrefix(#"{"input":[8,8,1],"layers":[{"filters":4"#))
        XCTAssertEqual(try ModelArchitecture(parsing: architecture.description), architecture)
        let json = try JSONEncoder().encode([architecture])
        XCTAssertTrue(String(decoding: json, as: UTF8.self).hasPrefix(#"[{"#), "a layer list is a JSON object")
        XCTAssertEqual(try JSONDecoder().decode([ModelArchitecture].self, from: json), [architecture])
        let shapes = architecture.tensorShapes
        let tensors = Model(architecture: architecture, seed: 1).namedTensors
        XCTAssertEqual(shapes.map(\.name), tensors.map(\.name))
        XCTAssertEqual(shapes.map(\.shape), tensors.map(\.tensor.shape))
        XCTAssertEqual(
            shapes.map(\.name),
            [
                "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.3.weight",
                "layers.3.bias",
                "layers.7.weight", "layers.7.bias",
            ])
    }

    func testALayerThatDoesNotFitIsRefusedNamingTheLayerAndTheShape() {
        let tooLarge = """
            {"input": [8, 8, 1], "layers": [{"type": "conv2d", "name": "stem", "filters": 4, "kernel": [9]},
                                             {"type": "flatten"}, {"type": "dense", "units": 3}]}
            """
        let error = thrownError { () throws(ModelError) in try ModelArchitecture(parsing: tooLarge) }
        let text = error?.description ?? ""
        XCTAssertTrue(text.contains("'stem'"), text)
        XCTAssertTrue(text.contains("8×8") || text.contains("8x8"), text)
        let denseOnMap = #"{"input": [4, 4, 2], "layers": [{"type": "dense", "units": 3}]}"#
        let message = thrownError { () throws(ModelError) in try ModelArchitecture(parsing: denseOnMap) }?.description
        XCTAssertTrue(message?.contains("dense#0") ?? false, message ?? "")
        let notJSON = thrownError { () throws(ModelError) in try ModelArchitecture(parsing: "{\"input\": [8, 8") }
        guard case .invalidArchitecture? = notJSON else { return XCTFail("\(String(describing: notJSON))") }
        let longName =
            #"{"input": [8, 8, 1], "layers": [{"type": "dense", "name": "\#(String(repeating: "x", count: 65))", "units": 3}]}"#
        XCTAssertNotNil(thrownError { () throws(ModelError) in try ModelArchitecture(parsing: longName) })
    }

    func testABundleOfALayerNetworkRoundTripsExactlyAndPredictsWithItsPreprocessing() throws {
        let bundle = try makeBundle()
        let bytes = bundle.encoded()
        let decoded = try ModelBundle(decoding: bytes)
        XCTAssertEqual(decoded, bundle)
        XCTAssertEqual(decoded.encoded(), bytes)
        guard case .network(let network) = decoded.model else { return XCTFail("a layer list makes a layer network") }
        let raw = (0..<128).map { Float($0 % 17) }
        XCTAssertEqual(
            decoded.predict(features: raw, rows: 2),
            network.probabilities(features: bundle.manifest.preprocessing.apply(raw), rows: 2))
        let manifest = try XCTUnwrap(try SafetensorsFile(decoding: bytes).metadata[ModelBundle.manifestMetadataKey])
        XCTAssertTrue(manifest.contains(#""architecture":{"input":[8,8,1],"layers":["#), manifest)
    }

    func testABundleWhoseTensorsDoNotMatchItsLayerListIsRefused() throws {
        let bundle = try makeBundle()
        var file = try SafetensorsFile(decoding: bundle.encoded())
        file.tensors["layers.2.weight"] = nil
        assertThrows(try ModelBundle(decoding: file.encoded()), equalTo: ModelError.missingTensor("layers.2.weight"))
        file = try SafetensorsFile(decoding: bundle.encoded())
        file.tensors["layers.1.weight"] = SafetensorsFile.float32(Tensor(shape: [1], values: [0]))
        assertThrows(try ModelBundle(decoding: file.encoded()), equalTo: ModelError.unexpectedTensor("layers.1.weight"))
        file = try SafetensorsFile(decoding: bundle.encoded())
        file.tensors["layers.0.weight"] = SafetensorsFile.float32(
            Tensor(shape: [4, 9], values: [Float](repeating: 0, count: 36)))
        assertThrows(
            try ModelBundle(decoding: file.encoded()),
            equalTo: ModelError.tensorShapeMismatch(name: "layers.0.weight", expected: [4, 3, 3, 1], actual: [4, 9]))
    }

    func testADenseModelAndALayerNetworkAreNeverPaired() throws {
        let bundle = try makeBundle()
        let dense = try ModelArchitecture(parsing: "64-3")
        XCTAssertThrowsError(try ModelBundle(manifest: bundle.manifest, model: Model(architecture: dense, seed: 1)))
        XCTAssertThrowsError(try MLP(architecture: bundle.manifest.architecture, parameters: bundle.model.parameters))
    }
}
