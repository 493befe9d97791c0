import Logging
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Brings the experiment slot in line with the desired experiment: each candidate's int8 artifact
/// is downloaded (resumably) into `DATA/experiments/`, checked against its digest, signature and
/// signed manifest like a deployed version, and loaded; then the slot takes the experiment. When
/// the experiment ends the slot empties and the files go. A candidate that fails a check leaves
/// the device out of the experiment, serving as before.
struct ExperimentInstaller: Sendable {
    let client: StarlingHTTPClient
    let slot: ExperimentSlot
    let verifier: VersionVerifier
    let files: ModelFiles
    let work: BlockingWork
    let logger: Logger

    /// Loads `desired` (or leaves every experiment); false when a download was cut short and should
    /// be tried again.
    func reconcile(_ desired: DesiredExperiment?) async -> Bool {
        guard let desired else {
            if slot.current != nil {
                slot.set(nil)
                logger.info("left the experiment")
            }
            removeFiles(keeping: [])
            return true
        }
        let priors = Dictionary((desired.priors ?? []).map { ($0.version, $0) }) { first, _ in first }
        if let current = slot.current, current.id == desired.id,
            current.candidates.map(\.sha256Int8) == desired.candidates.map({ $0.sha256Int8.lowercased() })
        {
            slot.set(
                .init(
                    id: current.id, mode: current.mode, candidates: current.candidates, split: current.split,
                    priors: priors))
            return true
        }
        do {
            var candidates: [InstalledModel] = []
            for candidate in desired.candidates { candidates.append(try await load(candidate)) }
            slot.set(
                .init(
                    id: desired.id, mode: desired.mode, candidates: candidates, split: desired.split ?? 50,
                    priors: priors))
            removeFiles(keeping: desired.candidates.map { $0.sha256Int8.lowercased() })
            logger.info(
                "joined experiment",
                metadata: [
                    "experiment": "\(desired.id)", "mode": "\(desired.mode.rawValue)",
                    "candidates": "\(candidates.map(\.tag))",
                ])
            return true
        } catch .aggregator(let reason) {
            logger.warning("cannot download an experiment's candidate, will retry", metadata: ["reason": "\(reason)"])
            return false
        } catch {
            logger.error("experiment refused", metadata: ["experiment": "\(desired.id)", "reason": "\(error)"])
            slot.set(nil)
            return true
        }
    }

    private func load(_ candidate: DesiredModel) async throws(AgentError) -> InstalledModel {
        try verifier.verifySignature(candidate)
        let download = ResumableDownload(client: client, files: files, work: work, logger: logger)
        let bytes = try await download.fetch(
            model: candidate.model, version: candidate.version, format: .int8,
            sha256: candidate.sha256Int8.lowercased())
        let verifier = verifier
        return try await work.run { () throws(AgentError) in
            let quantized = try WeightsDownloader.decodeInt8(bytes)
            try verifier.verifyManifest(candidate, manifest: quantized.manifest)
            return InstalledModel(
                int8: quantized, name: candidate.model, version: candidate.version,
                sha256: candidate.sha256.lowercased(), sha256Int8: candidate.sha256Int8.lowercased())
        }
    }

    /// Deletes the experiment files but those of `kept` digests.
    private func removeFiles(keeping kept: [String]) {
        let records = kept.map {
            InstalledModelRecord(name: "", version: 0, sha256: "", sha256Int8: $0, deploymentId: "")
        }
        _ = files.removeUnreferenced(keeping: records, keepingDownloads: false)
    }
}
