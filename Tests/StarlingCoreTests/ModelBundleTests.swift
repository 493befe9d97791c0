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
        return try ModelBundle(manifest: manifest, model: Model(architecture: architecture, seed: 42))
    }

    func testEncodeDecodeRoundTripPreservesManifestAndWeightsExactly() throws {
        let bundle = try makeBundle()
        let bytes = bundle.encoded()
        let decoded = try ModelBundle(decoding: bytes)
        XCTAssertEqual(decoded, bundle)
        XCTAssertEqual(decoded.encoded(), bytes)
        let file = try SafetensorsFile(decoding: bytes)
        XCTAssertEqual(
            file.tensors.keys.sorted(), ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"])
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
            try ModelBundle(manifest: bundle.manifest, model: .dense(other)),
            equalTo: ModelError.architectureMismatch(manifest: bundle.manifest.architecture, model: other.architecture))
        let architecture = bundle.manifest.architecture
        let preprocessing = bundle.manifest.preprocessing
        XCTAssertThrowsError(
            try ModelManifest(
                name: "m", version: 1, architecture: architecture, labels: ["a"],
                preprocessing: preprocessing, confidenceThreshold: 0.5))
        XCTAssertThrowsError(
            try ModelManifest(
                name: "m", version: 1, architecture: architecture, labels: ["a", "b"],
                preprocessing: .identity(featureCount: 3), confidenceThreshold: 0.5))
        XCTAssertThrowsError(
            try ModelManifest(
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

    func testDecodingRefusesNaNInfiniteAndBeyondFloatF64Weights() throws {
        let bundle = try makeBundle()
        let weights: [Float] = [0.5, -0.25, 1, 2, 3, 4]  // layers.1.weight is 2 × 3
        var nan = weights, infinite = weights, wide = weights.map(Double.init)
        nan[1] = .nan
        infinite[4] = .infinity
        wide[5] = 1e300
        let cases: [(tensor: SafetensorsTensor, index: Int)] = [
            (SafetensorsFile.float32(Tensor(shape: [2, 3], values: nan)), 1),
            (SafetensorsFile.float32(Tensor(shape: [2, 3], values: infinite)), 4),
            (SafetensorsFile.float64(shape: [2, 3], values: wide), 5),
        ]
        for (tensor, expectedIndex) in cases {
            var file = try SafetensorsFile(decoding: bundle.encoded())
            file.tensors["layers.1.weight"] = tensor
            let error = thrownError { () throws(ModelError) in try ModelBundle(decoding: file.encoded()) }
            guard case .nonFiniteWeight(let name, let index, let value)? = error else {
                XCTFail("expected a non-finite weight, got \(String(describing: error))")
                continue
            }
            XCTAssertEqual(name, "layers.1.weight")
            XCTAssertEqual(index, expectedIndex)
            XCTAssertFalse(value.isFinite)
        }
        var finite = try SafetensorsFile(decoding: bundle.encoded())
        finite.tensors["layers.1.weight"] = SafetensorsFile.float64(shape: [2, 3], values: weights.map(Double.init))
        XCTAssertEqual(try ModelBundle(decoding: finite.encoded()).model.namedTensors[2].tensor.values, weights)
    }

    func testDecodingWithASizeLimitRefusesALargerArchitecture() throws {
        let bytes = try makeBundle().encoded()  // 4-3-2: 23 parameters, 2 layers
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        assertThrows(
            try ModelBundle(decoding: bytes, sizeLimit: ModelSizeLimit(maximumParameters: 22, maximumLayers: 32)),
            equalTo: ModelError.tooManyParameters(architecture: architecture, count: 23, limit: 22))
        XCTAssertNoThrow(
            try ModelBundle(decoding: bytes, sizeLimit: ModelSizeLimit(maximumParameters: 23, maximumLayers: 2)))
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
