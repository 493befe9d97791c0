import Crypto
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Checks that a version the agent is told to run is one its aggregator signed: the Ed25519
/// signature over the version's ``VersionStatement`` (name, number, both artifact digests, manifest
/// digest) under the key learnt at enrollment, and the downloaded manifest's digest. Together with
/// the artifact digests this refuses bytes altered anywhere between the registry and the device.
struct VersionVerifier: Sendable {
    let key: Curve25519.Signing.PublicKey

    /// A verifier for the raw 32-byte Ed25519 public key in base64 that enrollment handed out.
    init(publicKeyBase64: String) throws(AgentError) {
        guard let raw = Data(base64Encoded: publicKeyBase64),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw .untrustedModel("the stored model-signing key is not a raw 32-byte Ed25519 public key")
        }
        self.key = key
    }

    init(key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// Throws unless `desired` carries a valid signature: checkable before anything is downloaded.
    func verifySignature(_ desired: DesiredModel) throws(AgentError) {
        guard let signature = Data(base64Encoded: desired.signature),
            key.isValidSignature(signature, for: desired.statement.signedBytes)
        else {
            throw .untrustedModel(
                "the signature of \(desired.model)@\(desired.version) does not verify under the aggregator's key")
        }
    }

    /// Throws unless `manifest` is the one `desired` names.
    func verifyManifest(_ desired: DesiredModel, manifest: ModelManifest) throws(AgentError) {
        let digest = manifest.sha256
        guard digest == desired.manifestSha256.lowercased() else {
            throw .untrustedModel(
                "the manifest of \(desired.model)@\(desired.version) has SHA-256 \(digest), the signed one is "
                    + desired.manifestSha256)
        }
    }
}
