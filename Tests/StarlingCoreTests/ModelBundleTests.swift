import Foundation
import XCTest
@testable import StarlingCore

final class ModelBundleTests: XCTestCase {
    private func makeBundle() throws -> ModelBundle {
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let manifest = try ModelManifest(
            name: "toy/model \"v\"", version: 3, architecture: architecture, labels: ["no", "yes"],
            preprocessing: Preprocessing(standardization: Standardization(mean: [1, 2, 3, 4], std: [0.5, 1, 2, 4])),
            confidenceThreshold: 0.75)
        return try ModelBundle(manifest: manifest, model: MLP(architecture: architecture, seed: 42))
    }

    func testEncodeDecodeRoundTripPreservesManifestAndWeightsExactly() throws {
        let bundle = try makeBundle()
        let bytes = bundle.encoded()
        let decoded = try ModelBundle(decoding: bytes)
        XCTAssertEqual(decoded, bundle)
        XCTAssertEqual(decoded.encoded(), bytes)
        let file = try SafetensorsFile(decoding: bytes)
        XCTAssertEqual(file.tensors.keys.sorted(), ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"])
        XCTAssertTrue(file.tensors.values.allSatisfy { $0.dtype == .f32 })
        XCTAssertNotNil(file.metadata[ModelBundle.manifestMetadataKey])
    }

    func testPredictAppliesTheStoredPreprocessing() throws {
        let bundle = try makeBundle()
        let raw: [Float] = [2, 3, 1, 0, 1, 2, 3, 4]
        let expected = bundle.model.probabilities(features: bundle.manifest.preprocessing.apply(raw), rows: 2)
        XCTAssertEqual(bundle.predict(features: raw, rows: 2), expected)
    }

    func testRejectsMismatchedArchitectureAndInvalidManifests() throws {
        let bundle = try makeBundle()
        let other = MLP(architecture: try ModelArchitecture(parsing: "4-2"), seed: 1)
        assertThrows(
            try ModelBundle(manifest: bundle.manifest, model: other),
            equalTo: ModelError.architectureMismatch(manifest: bundle.manifest.architecture, model: other.architecture))
        let architecture = bundle.manifest.architecture
        let preprocessing = bundle.manifest.preprocessing
        XCTAssertThrowsError(try ModelManifest(
            name: "m", version: 1, architecture: architecture, labels: ["a"],
            preprocessing: preprocessing, confidenceThreshold: 0.5))
        XCTAssertThrowsError(try ModelManifest(
            name: "m", version: 1, architecture: architecture, labels: ["a", "b"],
            preprocessing: .identity(featureCount: 3), confidenceThreshold: 0.5))
        XCTAssertThrowsError(try ModelManifest(
            name: "m", version: 1, architecture: architecture, labels: ["a", "b"],
            preprocessing: preprocessing, confidenceThreshold: 1.5))
    }

    func testDecodingReportsMissingManifestBadManifestAndCorruptBytes() throws {
        let bundle = try makeBundle()
        var file = try SafetensorsFile(decoding: bundle.encoded())
        file.metadata = [:]
        assertThrows(
            try ModelBundle(decoding: file.encoded()),
            equalTo: ModelError.invalidBundle("the metadata has no 'starling.manifest' entry"))
        file.metadata[ModelBundle.manifestMetadataKey] = #"{"name":"x"}"#
        let error = thrownError { () throws(ModelError) in try ModelBundle(decoding: file.encoded()) }
        guard case .invalidManifest? = error else { return XCTFail("got \(String(describing: error))") }
        assertThrows(try ModelBundle(decoding: [1, 2, 3]), equalTo: ModelError.safetensors(.tooShort(byteCount: 3)))
    }

    func testManifestJSONUsesArchitectureStringAndValidatesOnDecode() throws {
        let manifest = try makeBundle().manifest
        let json = ModelBundle.manifestJSON(manifest)
        XCTAssertTrue(json.contains(#""architecture":"4-3-2""#), json)
        XCTAssertEqual(try JSONDecoder().decode(ModelManifest.self, from: Data(json.utf8)), manifest)
        let broken = json.replacingOccurrences(of: #""labels":["no","yes"]"#, with: #""labels":["no"]"#)
        XCTAssertThrowsError(try JSONDecoder().decode(ModelManifest.self, from: Data(broken.utf8)))
    }
}
