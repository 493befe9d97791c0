import Foundation
import Logging
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Brings the running model in line with a deployment: download, check, write the file atomically,
/// record it, swap it in, report to the aggregator. Also restores the installed model at start-up.
struct ModelInstaller: Sendable {
    let client: StarlingHTTPClient
    let store: AgentStore
    let slot: ModelSlot
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
            running.sha256 == desired.sha256.lowercased()
        {
            report = DeploymentReport(state: .installed, model: desired.model, version: desired.version)
        } else {
            do {
                try await install(desired)
                report = DeploymentReport(state: .installed, model: desired.model, version: desired.version)
                logger.info("installed model", metadata: ["model": "\(desired.model)@\(desired.version)"])
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
        let (bundle, bytes) = try await WeightsDownloader(client: client)
            .download(model: desired.model, version: desired.version, sha256: desired.sha256)
        do {
            try AtomicFile.write(bytes, to: paths.currentModel)
        } catch {
            throw .unwritableFile(error.description)
        }
        let sha256 = desired.sha256.lowercased()
        try await store.recordInstalledModel(
            InstalledModelRecord(
                name: desired.model, version: desired.version, sha256: sha256, deploymentId: desired.deploymentId))
        slot.install(InstalledModel(bundle: bundle, name: desired.model, version: desired.version, sha256: sha256))
    }

    /// The model recorded as installed, read back from `models/current.safetensors`; nil when none is.
    static func restore(paths: AgentPaths, store: AgentStore) async throws(AgentError) -> InstalledModel? {
        guard let record = try await store.installedModel() else { return nil }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: paths.currentModel))
        } catch {
            throw .unreadableFile(path: paths.currentModel.path, reason: error.localizedDescription)
        }
        let actual = ContentDigest.sha256Hex(bytes)
        guard actual == record.sha256 else { throw .digestMismatch(expected: record.sha256, actual: actual) }
        do {
            return InstalledModel(
                bundle: try ModelBundle(decoding: bytes), name: record.name, version: record.version,
                sha256: record.sha256)
        } catch {
            throw .invalidModel(error.description)
        }
    }
}

/// Any JSON object answering a deployment report; the agent only needs to know it was accepted.
private struct ReportAck: Decodable, Sendable {}
