import Foundation
import XCTest

@testable import StarlingCore

/// Manifests store preprocessing; manifests written with a `standardization` still decode, predict
/// as before and re-encode to the very bytes their digest was taken over.
final class ModelManifestFormatTests: XCTestCase {
    /// A manifest as versions before preprocessing wrote it (compact, sorted keys).
    private let legacyJSON =
        #"{"architecture":"3-4-2","confidenceThreshold":0.75,"labels":["no","yes"],"name":"legacy","#
        + #""standardization":{"mean":[1.5,-2,0.25],"std":[0.5,3,1.25]},"version":7}"#

    func testALegacyManifestDecodesPredictsAsBeforeAndReEncodesToTheSameBytes() throws {
        let manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(legacyJSON.utf8))
        XCTAssertEqual(ModelBundle.manifestJSON(manifest), legacyJSON, "the stored digest keeps verifying")
        let standardization = try Standardization(mean: [1.5, -2, 0.25], std: [0.5, 3, 1.25])
        XCTAssertEqual(manifest.preprocessing, Preprocessing(standardization: standardization))

        let bundle = try ModelBundle(manifest: manifest, model: Model(architecture: manifest.architecture, seed: 3))
        var rng = SeededRNG(seed: 1)
        let raw = (0..<(3 * 40)).map { _ in Float(rng.nextGaussian() * 5) }
        let before = bundle.model.probabilities(features: standardization.apply(raw), rows: 40)
        XCTAssertEqual(bundle.predict(features: raw, rows: 40), before)
        let reloaded = try ModelBundle(decoding: bundle.encoded())
        XCTAssertEqual(ModelBundle.manifestJSON(reloaded.manifest), legacyJSON)
    }

    func testANewManifestStoresPreprocessingAndItsProfile() throws {
        let architecture = try ModelArchitecture(parsing: "2-2")
        let preprocessing = try Preprocessing(transforms: [.log1p(mean: 1, std: 2, clip: 5), .minMax(min: 0, max: 255)])
        let manifest = try ModelManifest(
            name: "new", version: 1, architecture: architecture, labels: ["a", "b"], preprocessing: preprocessing,
            profile: ProfileReference(name: "telemetry", version: 4), confidenceThreshold: 0.5)
        let json = ModelBundle.manifestJSON(manifest)
        XCTAssertTrue(
            json.contains(#""preprocessing":{"transforms":[{"clip":5,"mean":1,"std":2,"type":"log1p"}"#), json)
        XCTAssertTrue(json.contains(#""profile":{"name":"telemetry","version":4}"#), json)
        XCTAssertFalse(json.contains("standardization"), json)
        XCTAssertEqual(try JSONDecoder().decode(ModelManifest.self, from: Data(json.utf8)), manifest)
    }

    func testALegacyManifestGivenAnotherPreprocessingSwitchesToTheNewFormat() throws {
        var manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(legacyJSON.utf8))
        manifest.preprocessing = try Preprocessing(transforms: [
            .identity, .zScore(mean: 0, std: 1, clip: 5), .identity,
        ])
        let json = ModelBundle.manifestJSON(manifest)
        XCTAssertTrue(json.contains(#""preprocessing":"#) && !json.contains("standardization"), json)
        XCTAssertEqual(
            try JSONDecoder().decode(ModelManifest.self, from: Data(json.utf8)).preprocessing, manifest.preprocessing)
    }

    func testAManifestWithoutPreprocessingOrStandardizationNamesTheMissingField() throws {
        let bare = legacyJSON.replacingOccurrences(
            of: #""standardization":{"mean":[1.5,-2,0.25],"std":[0.5,3,1.25]},"#, with: "")
        XCTAssertThrowsError(try JSONDecoder().decode(ModelManifest.self, from: Data(bare.utf8))) { error in
            guard case DecodingError.keyNotFound(let key, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key.stringValue, "preprocessing")
        }
        let wide = legacyJSON.replacingOccurrences(of: #""std":[0.5,3,1.25]"#, with: #""std":[0.5,3,1.25,1]"#)
        XCTAssertThrowsError(try JSONDecoder().decode(ModelManifest.self, from: Data(wide.utf8)))
    }
}
