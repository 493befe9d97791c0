import Foundation
import StarlingCore
import StarlingProtocol

extension RoundCoordinator {
    /// Averages the contributors' stored updates into a new version, records it, and moves the run
    /// to its next iteration or completes it.
    func aggregate(contributors: [String], runID: String) async {
        guard let run = runs[runID] else { return }
        do {
            let (version, metrics) = try await produceVersion(run: run, contributors: contributors)
            guard var current = runs[runID] else { return }
            let now = clock()
            current.machine.aggregationSucceeded()
            current.iteration.state = .completed
            current.iteration.producedVersion = version.version
            current.iteration.metrics = metrics
            current.iteration.endedAt = now
            runs[runID] = current
            try? FileManager.default.removeItem(
                at: directory.updates.appendingPathComponent(runID).appendingPathComponent("\(current.iteration.iteration)"))
            logger.info(
                "round iteration completed",
                metadata: ["round": "\(runID)", "iteration": "\(current.iteration.iteration)", "version": "\(version.version)"])
            guard current.iteration.iteration < current.round.plan.rounds else {
                return await finish(runID: runID, failure: nil)
            }
            try await store.save(current.iteration)
            let next = Self.newIteration(
                of: current.round, number: current.iteration.iteration + 1, baseVersion: version.version, at: now)
            try await store.save(next)
            current.iteration = next
            current.machine = Self.machine(for: current.round, iteration: next.iteration, at: now)
            current.baseSHA256 = version.sha256
            runs[runID] = current
            await broadcaster.bump()
        } catch {
            logger.error("aggregation failed", metadata: ["round": "\(runID)", "error": "\(error)"])
            guard var current = runs[runID] else { return }
            let action = current.machine.aggregationFailed(reason: "aggregation failed: \(error.message)")
            runs[runID] = current
            if let action { await perform(action, runID: runID) }
        }
    }

    private func produceVersion(run: ActiveRun, contributors: [String]) async throws(APIError) -> (ModelVersionInfo, VersionMetrics) {
        let base = try await catalog.version(of: run.round.model, run.iteration.baseVersion)
        let bundle = try catalog.bundle(base)
        let rows = try await store.updates(roundId: run.round.id, iteration: run.iteration.iteration)
            .filter { contributors.contains($0.deviceId) }
        var updates: [ValidatedUpdate] = []
        for row in rows {
            guard let data = FileManager.default.contents(atPath: row.path) else {
                throw .internal("the stored update of \(row.deviceId) is missing")
            }
            updates.append(try UpdateValidator.validate(Array(data), architecture: run.architecture))
        }
        let parameters: [Float]
        let model: MLP
        do {
            parameters = try FedAvg.aggregate(
                w_t: bundle.model.parameters,
                updates: updates.map { FedAvg.ClientUpdate(n_k: $0.trainSamples, delta: $0.delta) })
            model = try MLP(architecture: run.architecture, parameters: parameters)
        } catch {
            throw .internal("\(error)")
        }
        let metrics = FederatedMetrics.combine(updates)
        let lineage = VersionLineage(
            parentVersion: base.version, roundId: run.round.id, roundIteration: run.iteration.iteration,
            cohortSize: run.machine.cohort.count)
        let produced: ModelBundle
        do {
            produced = try ModelBundle(manifest: bundle.manifest, model: model)
        } catch {
            throw .internal(error.description)
        }
        let info = try await registry.register(produced, as: run.round.model, source: .round, lineage: lineage, metrics: metrics)
        return (info, metrics)
    }
}
