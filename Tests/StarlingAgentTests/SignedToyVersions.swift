import Crypto
import Foundation
import StarlingCore
import StarlingProtocol

@testable import StarlingAgent

/// The aggregator's signing key in the agent's tests.
let testSigningKey = Curve25519.Signing.PrivateKey()

/// `toy@version` as the aggregator would describe it in a desired state, signed with `key`.
func signedToyModel(
    deploymentId: String, version: Int = 3, weights: [UInt8], int8: [UInt8], int8Digest: String? = nil,
    key: Curve25519.Signing.PrivateKey = testSigningKey
) throws -> DesiredModel {
    let manifest = try ModelBundle(decoding: weights).manifest
    var model = DesiredModel(
        deploymentId: deploymentId, model: "toy", version: version, sha256: ContentDigest.sha256Hex(weights),
        sha256Int8: int8Digest ?? ContentDigest.sha256Hex(int8),
        manifestSha256: ContentDigest.sha256Hex(Array(ModelBundle.manifestJSON(manifest).utf8)), signature: "")
    model.signature = try key.signature(for: model.statement.signedBytes).base64EncodedString()
    return model
}

/// The fp32 and int8 artifacts of one toy version.
struct ToyArtifacts {
    let version: Int
    let fp32: [UInt8]
    let int8: [UInt8]

    /// `toy@version`; `swapped` exchanges its classes, so its answers tell it apart.
    init(version: Int, swapped: Bool = false) throws {
        let bundle = try makeToyBundle(version: version, swapped: swapped)
        self.version = version
        fp32 = bundle.encoded()
        int8 = try makeInt8Artifact(bundle)
    }

    func desired(deploymentId: String) throws -> DesiredModel {
        try signedToyModel(deploymentId: deploymentId, version: version, weights: fp32, int8: int8)
    }

    var record: InstalledModelRecord {
        InstalledModelRecord(
            name: "toy", version: version, sha256: ContentDigest.sha256Hex(fp32),
            sha256Int8: ContentDigest.sha256Hex(int8),
            deploymentId: nil)
    }
}
