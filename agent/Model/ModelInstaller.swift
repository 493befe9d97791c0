#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Brings the running model in line with a deployment: download both artifacts (fp32 and int8), check
/// their digests and the version's signature, write each file atomically, record them, swap the int8
/// model in for phase one, report to the aggregator. A version that fails a check is reported failed
/// and the model already running keeps serving. Also restores the installed model at start-up.
struct ModelInstaller: Sendable {
    let client: StarlingHTTPClient
    let store: AgentStore
    let slot: ModelSlot
    let verifier: VersionVerifier
    let paths: AgentPaths
    let logger: Logger

    /// What became of a reconcile.
    enum Outcome: Equatable {
        /// Installed (or already running) and reported, or failed for good and reported.
        case settled
        /// The aggregator could not be reached; try again on a later watch answer.
        case retryLater
    }

    /// Installs `desired` unless it already runs, then reports the result for its deployment.
    func reconcile(_ desired: DesiredModel) async -> Outcome {
        let report: DeploymentReport
        if let running = slot.model, running.name == desired.model, running.version == desired.version,
            running.sha256 == desired.sha256.lowercased(), running.sha256Int8 == desired.sha256Int8.lowercased()
        {
            report = DeploymentReport(state: .installed, model: desired.model, version: desired.version)
        } else {
            do {
                try await install(desired)
                report = DeploymentReport(state: .installed, model: desired.model, version: desired.version)
                logger.info(
                    "installed model; phase one runs int8",
                    metadata: [
                        "model": "\(desired.model)@\(desired.version)", "artifact": "\(paths.currentInt8Model.lastPathComponent)",
                        "sha256_int8": "\(desired.sha256Int8.lowercased())",
                    ])
            } catch .aggregator(let reason) {
                logger.warning("cannot download model, will retry", metadata: ["reason": "\(reason)"])
                return .retryLater
            } catch {
                logger.error("model install failed", metadata: ["reason": "\(error)"])
                report = DeploymentReport(
                    state: .failed, model: desired.model, version: desired.version, message: error.description)
            }
        }
        do {
            let _: ReportAck = try await client.post(APIPath.deviceDeploymentReport(id: desired.deploymentId), json: report)
            return .settled
        } catch .invalidResponse {
            return .settled  // a 2xx whose body the agent does not need
        } catch {
            logger.warning("cannot report deployment, will retry", metadata: ["reason": "\(error)"])
            return .retryLater
        }
    }

    private func install(_ desired: DesiredModel) async throws(AgentError) {
        let downloader = WeightsDownloader(client: client)
        let (bundle, bytes) = try await downloader.download(
            model: desired.model, version: desired.version, sha256: desired.sha256)
        let (int8, int8Bytes) = try await downloader.downloadInt8(
            model: desired.model, version: desired.version, sha256: desired.sha256Int8)
        try verifier.verify(desired, manifest: bundle.manifest)
        guard int8.manifest.architecture == bundle.manifest.architecture else {
            throw .invalidModel("the int8 artifact is \(int8.manifest.architecture), the fp32 one \(bundle.manifest.architecture)")
        }
        try Self.write(bytes, to: paths.currentModel)
        try Self.write(int8Bytes, to: paths.currentInt8Model)
        let model = InstalledModel(
            int8: int8, name: desired.model, version: desired.version, sha256: desired.sha256.lowercased(),
            sha256Int8: desired.sha256Int8.lowercased())
        try await store.recordInstalledModel(
            InstalledModelRecord(
                name: model.name, version: model.version, sha256: model.sha256, sha256Int8: model.sha256Int8,
                deploymentId: desired.deploymentId))
        slot.install(model)
    }

    /// The model recorded as installed, read back from `models/current.safetensors` and
    /// `models/current.int8.safetensors` (both digests checked); nil when none is.
    static func restore(paths: AgentPaths, store: AgentStore) async throws(AgentError) -> InstalledModel? {
        guard let record = try await store.installedModel() else { return nil }
        guard let sha256Int8 = record.sha256Int8 else {
            throw .invalidModel("\(record.name)@\(record.version) was installed without its int8 artifact")
        }
        _ = try read(paths.currentModel, sha256: record.sha256)
        let int8 = try WeightsDownloader.decodeInt8(try read(paths.currentInt8Model, sha256: sha256Int8))
        return InstalledModel(
            int8: int8, name: record.name, version: record.version, sha256: record.sha256, sha256Int8: sha256Int8)
    }

    private static func write(_ bytes: [UInt8], to url: URL) throws(AgentError) {
        do {
            try AtomicFile.write(bytes, to: url)
        } catch {
            throw .unwritableFile(error.description)
        }
    }

    /// A stored artifact's bytes, which must still have the recorded digest.
    private static func read(_ url: URL, sha256: String) throws(AgentError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw .unreadableFile(path: url.path, reason: FileErrorReason.describe(error))
        }
        let actual = ContentDigest.sha256Hex(bytes)
        guard actual == sha256 else { throw .digestMismatch(expected: sha256, actual: actual) }
        return bytes
    }
}

/// Any JSON object answering a deployment report; the agent only needs to know it was accepted.
private struct ReportAck: Decodable, Sendable {}
