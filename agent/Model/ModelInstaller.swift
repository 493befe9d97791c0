import Logging
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Brings the running model in line with a deployment, safely on a real device. The agent keeps two
/// model slots (``ModelSlots``): a deployment of the previous slot's version switches back to it
/// without the network (reported `rolled_back`); any other version is downloaded, resumably, into
/// content-addressed files (``ResumableDownload``), checked against its digests and signature, and
/// only then switched to in one store transaction (reported `installed`). Files no slot names are
/// deleted after a switch, and both the new model and the one it replaced are smoke-tested on the
/// device's held-out samples for the report. A version that fails a check is reported failed and
/// the model already running keeps serving. Each outcome is counted in the agent's metrics.
///
/// The signature is checked once, before anything else; it covers both artifact digests and the
/// manifest digest. The int8 artifact, which serves, is decoded and its manifest checked against
/// the signed digest; the fp32 artifact kept beside it is authenticated by its signed digest (a
/// round fetches and decodes its own fp32 base).
///
/// - Important: a kill at any point leaves a store that names complete, synced files: the switch is
///   the commit, and it happens after the files are in place and before the old ones are deleted.
struct ModelInstaller: Sendable {
    let client: StarlingHTTPClient
    let store: AgentStore
    let slot: ModelSlot
    let verifier: VersionVerifier
    let files: ModelFiles
    let metrics: AgentMetrics
    let work: BlockingWork
    let logger: Logger

    /// Held-out samples a smoke test runs on, at most.
    static let smokeTestSamples = 300

    init(
        client: StarlingHTTPClient, store: AgentStore, slot: ModelSlot, verifier: VersionVerifier, paths: AgentPaths,
        metrics: AgentMetrics, work: BlockingWork, logger: Logger
    ) {
        self.client = client
        self.store = store
        self.slot = slot
        self.verifier = verifier
        self.files = ModelFiles(paths: paths)
        self.metrics = metrics
        self.work = work
        self.logger = logger
    }

    /// What became of a reconcile.
    enum Outcome: Equatable {
        /// Installed (or already running) and reported, or failed for good and reported.
        case settled
        /// The aggregator could not be reached; try again on a later watch answer.
        case retryLater
    }

    /// A switch that happened: the state to report, the model now serving and the one it replaced.
    struct Switch: Sendable {
        var state: DeviceDeploymentState
        var installed: InstalledModel
        var replaced: InstalledModel?
    }

    /// Installs `desired` unless it already runs, then reports the result for its deployment.
    func reconcile(_ desired: DesiredModel) async -> Outcome {
        let report: DeploymentReport
        if let running = slot.model, running.name == desired.model, running.version == desired.version,
            running.sha256 == desired.sha256.lowercased(), running.sha256Int8 == desired.sha256Int8.lowercased()
        {
            if let slots = try? await store.modelSlots() { await removeUnreferencedFiles(keeping: slots) }
            report = DeploymentReport(state: .installed, model: desired.model, version: desired.version)
        } else {
            do {
                let change = try await apply(desired)
                metrics.installed(change.state == .rolledBack ? .rolledBack : .installed)
                report = DeploymentReport(
                    state: change.state, model: desired.model, version: desired.version,
                    health: await health(of: change))
            } catch .aggregator(let reason) {
                logger.warning("cannot download model, will retry", metadata: ["reason": "\(reason)"])
                return .retryLater
            } catch {
                logger.error("model install failed", metadata: ["reason": "\(error)"])
                metrics.installed(.failed)
                report = DeploymentReport(
                    state: .failed, model: desired.model, version: desired.version, message: error.description)
            }
        }
        do {
            let _: ReportAck = try await client.post(
                APIPath.deviceDeploymentReport(id: desired.deploymentId), json: report)
            return .settled
        } catch .invalidResponse {
            return .settled  // a 2xx whose body the agent does not need
        } catch {
            logger.warning("cannot report deployment, will retry", metadata: ["reason": "\(error)"])
            return .retryLater
        }
    }

    /// Switches to `desired`: back to the previous slot when it holds that version and its files
    /// still verify, else to a fresh download.
    private func apply(_ desired: DesiredModel) async throws(AgentError) -> Switch {
        let slots = try await store.modelSlots()
        try verifier.verifySignature(desired)
        if let previous = slots.previous, previous.isSameVersion(as: desired) {
            let model: InstalledModel?
            do {
                model = try await open(previous, as: desired)
            } catch .untrustedModel(let reason) {
                throw .untrustedModel(reason)
            } catch {
                logger.warning(
                    "cannot go back to the previous model slot; downloading it",
                    metadata: ["model": "\(previous.tag)", "reason": "\(error)"])
                model = nil
            }
            if let model { return try await switchTo(slots.rolledBack, serving: model, state: .rolledBack) }
        }
        let model: InstalledModel
        do {
            model = try await download(desired)
        } catch .aggregator(let reason) {
            throw .aggregator(reason)  // interrupted: the partial files stay for the next attempt
        } catch {
            await removeUnreferencedFiles(keeping: slots)  // failed a check: nothing of it stays behind
            throw error
        }
        let record = InstalledModelRecord(
            name: model.name, version: model.version, sha256: model.sha256, sha256Int8: model.sha256Int8,
            deploymentId: desired.deploymentId)
        return try await switchTo(slots.installing(record), serving: model, state: .installed)
    }

    /// Records `slots` (the commit point), serves `model`, and deletes the files no slot names.
    private func switchTo(
        _ slots: ModelSlots, serving model: InstalledModel, state: DeviceDeploymentState
    ) async throws(AgentError) -> Switch {
        try await store.recordModelSlots(slots)
        let replaced = slot.model
        slot.install(model)
        let removed = await removeUnreferencedFiles(keeping: slots)
        logger.info(
            state == .rolledBack
                ? "rolled back to the previous model slot; phase one runs int8"
                : "installed model; phase one runs int8",
            metadata: [
                "model": "\(model.tag)", "sha256_int8": "\(model.sha256Int8)",
                "previous": "\(slots.previous?.tag ?? "none")", "removed_files": "\(removed.count)",
            ])
        return Switch(state: state, installed: model, replaced: replaced)
    }

    /// Deletes the files in the model folder that no slot names, unfinished downloads included:
    /// after a switch; once the deployed version runs (an agent killed between a switch and this
    /// clean-up leaves some); after an install that failed a check. Returns the names deleted.
    @discardableResult
    private func removeUnreferencedFiles(keeping slots: ModelSlots) async -> [String] {
        let files = files
        return
            (try? await work.run { files.removeUnreferenced(keeping: slots.records, keepingDownloads: false) })
            ?? []
    }

    /// Downloads both artifacts (fp32 first; each checked against its signed digest), syncs their
    /// names, and decodes the int8 one.
    private func download(_ desired: DesiredModel) async throws(AgentError) -> InstalledModel {
        let download = ResumableDownload(client: client, files: files, work: work, logger: logger)
        _ = try await download.fetch(
            model: desired.model, version: desired.version, format: .fp32, sha256: desired.sha256.lowercased())
        let int8 = try await download.fetch(
            model: desired.model, version: desired.version, format: .int8, sha256: desired.sha256Int8.lowercased())
        let (files, verifier) = (files, verifier)
        return try await work.run { () throws(AgentError) in
            files.syncFolder()
            return try Self.accept(int8: int8, as: desired, verifier: verifier)
        }
    }

    /// The model a slot holds, its files checked against the digests `desired` signed.
    private func open(_ record: InstalledModelRecord, as desired: DesiredModel) async throws(AgentError)
        -> InstalledModel
    {
        let (files, verifier) = (files, verifier)
        return try await work.run { () throws(AgentError) in
            _ = try files.read(.fp32, sha256: record.sha256)
            let int8 = try files.read(.int8, sha256: record.sha256Int8)
            return try Self.accept(int8: int8, as: desired, verifier: verifier)
        }
    }

    /// Decodes a version's int8 artifact (whose digest was checked) and checks its manifest against
    /// the one the aggregator signed.
    private static func accept(
        int8: [UInt8], as desired: DesiredModel, verifier: VersionVerifier
    ) throws(AgentError) -> InstalledModel {
        let quantized = try WeightsDownloader.decodeInt8(int8)
        try verifier.verifyManifest(desired, manifest: quantized.manifest)
        return InstalledModel(
            int8: quantized, name: desired.model, version: desired.version, sha256: desired.sha256.lowercased(),
            sha256Int8: desired.sha256Int8.lowercased())
    }

    /// Smoke tests of the model now serving and of the one it replaced, on the same held-out samples;
    /// nil when the samples cannot be read.
    private func health(of change: Switch) async -> InstallHealth? {
        do {
            let samples = Array(try await store.samples(in: .eval).prefix(Self.smokeTestSamples))
            let health = try await work.run { () throws(AgentError) in
                InstallHealth(
                    installed: SmokeTest.measure(change.installed, on: samples),
                    replaced: change.replaced.map { SmokeTest.measure($0, on: samples) })
            }
            logger.info(
                "smoke test",
                metadata: [
                    "model": "\(change.installed.tag)", "samples": "\(health.installed.samples)",
                    "accuracy": "\(health.installed.accuracy.map { "\($0)" } ?? "-")",
                    "latency_ms": "\(health.installed.latencyMs)",
                    "escalation_rate": "\(health.installed.escalationRate)",
                    "replaced_accuracy": "\(health.replaced?.accuracy.map { "\($0)" } ?? "-")",
                ])
            return health
        } catch {
            logger.warning("cannot smoke-test the installed model", metadata: ["reason": "\(error)"])
            return nil
        }
    }
}

/// Any JSON object answering a deployment report; the agent only needs to know it was accepted.
private struct ReportAck: Decodable, Sendable {}
