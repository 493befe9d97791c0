import Crypto
import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// Every version the registry takes in is signed with the aggregator's Ed25519 key over its name,
/// number, artifact digests and manifest digest, and the signature survives a restart.
final class VersionSigningTests: XCTestCase {
    func test_registeredVersions_carryAValidSignatureOverTheirStatement() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-sign-\(UUID().uuidString.prefix(8))")
        let aggregator = try await TestAggregator.start(folder: folder)
        let created: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "signed", architecture: "4-3-2", seed: 1))
        let raw = try Data(contentsOf: folder.appendingPathComponent("pki/signing.key"))
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw).publicKey
        let bundle = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "signed", version: 1)))
        let manifestDigest = SHA256.hash(data: Array(ModelBundle.manifestJSON(bundle.manifest).utf8))
            .map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(created.manifestSha256, manifestDigest)
        let statement = VersionStatement(
            model: "signed", version: 1, sha256: created.sha256, sha256Int8: created.sha256Int8,
            manifestSha256: created.manifestSha256)
        let signature = try XCTUnwrap(Data(base64Encoded: created.signature))
        XCTAssertTrue(key.isValidSignature(signature, for: statement.signedBytes))
        var forged = statement
        forged.version = 2
        XCTAssertFalse(
            key.isValidSignature(signature, for: forged.signedBytes), "the signature binds the version number")
        forged = statement
        forged.sha256Int8 = String(repeating: "0", count: 64)
        XCTAssertFalse(key.isValidSignature(signature, for: forged.signedBytes), "the signature binds the int8 digest")

        try await aggregator.stop(removingFolder: false)
        let restarted = try await TestAggregator.start(folder: folder)
        let versions: VersionList = try await restarted.admin.get(APIPath.adminVersions(model: "signed"))
        XCTAssertEqual(versions.versions.first?.signature, created.signature)
        try await restarted.stop()
    }
}
