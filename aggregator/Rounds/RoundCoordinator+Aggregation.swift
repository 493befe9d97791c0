import Foundation
import Privacy
import StarlingCore
import StarlingProtocol

extension RoundCoordinator {
    /// Averages the contributors' stored updates into a new version, records it, and moves the run
    /// to its next iteration or completes it.
    func aggregate(contributors: [String], runID: String) async {
        guard let run = runs[runID] else { return }
        do {
            let (parameters, metrics) = try await averageStoredUpdates(run: run, contributors: contributors)
            let version = try await registerVersion(run: run, parameters: parameters, metrics: metrics)
            await iterationCompleted(
                runID: runID, version: version, metrics: metrics,
                contributors: run.round.plan.userLevelPrivacy == nil ? nil : contributors.count)
        } catch {
            await aggregationFailed(runID: runID, error: error)
        }
    }

    /// Records the version an iteration produced and starts the next iteration, or completes the run.
    func iterationCompleted(runID: String, version: ModelVersionInfo, metrics: VersionMetrics, contributors: Int?) async {
        guard var current = runs[runID] else { return }
        let now = clock()
        current.machine.aggregationSucceeded()
        current.iteration.state = .completed
        current.iteration.producedVersion = version.version
        current.iteration.metrics = metrics
        current.iteration.contributors = contributors
        current.iteration.endedAt = now
        current.secure = nil
        runs[runID] = current
        try? FileManager.default.removeItem(
            at: directory.updates.appendingPathComponent(runID).appendingPathComponent("\(current.iteration.iteration)"))
        logger.info(
            "round iteration completed",
            metadata: ["round": "\(runID)", "iteration": "\(current.iteration.iteration)", "version": "\(version.version)"])
        guard current.iteration.iteration < current.round.plan.rounds else {
            return await finish(runID: runID, failure: nil)
        }
        do {
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
            await aggregationFailed(runID: runID, error: error)
        }
    }

    /// The iteration could not produce a version: the run fails with the reason.
    func aggregationFailed(runID: String, error: APIError) async {
        logger.error("aggregation failed", metadata: ["round": "\(runID)", "error": "\(error)"])
        guard var current = runs[runID] else { return }
        let action = current.machine.aggregationFailed(reason: "aggregation failed: \(error.message)")
        runs[runID] = current
        if let action { await perform(action, runID: runID) }
    }

    private func averageStoredUpdates(run: ActiveRun, contributors: [String]) async throws(APIError) -> ([Float], VersionMetrics) {
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
        if let privacy = run.round.plan.userLevelPrivacy {
            let parameters = Self.centralMean(
                base: bundle.model.parameters, updates: updates, privacy: privacy, cohort: run.machine.cohort.count)
            return (parameters, VersionMetrics())
        }
        do {
            let parameters = try FedAvg.aggregate(
                w_t: bundle.model.parameters,
                updates: updates.map { FedAvg.ClientUpdate(n_k: $0.trainSamples, delta: $0.delta) })
            return (parameters, FederatedMetrics.combine(updates))
        } catch {
            throw .internal("\(error)")
        }
    }

    /// Central privacy over plain uploads: the base plus the noisy mean of the deltas, each clipped
    /// here whatever the device did, with noise σ·C on the sum and the cohort's size as denominator.
    /// The version records no metrics, which would be computed from the devices' data without noise.
    private static func centralMean(
        base: [Float], updates: [ValidatedUpdate], privacy: UserLevelPrivacy, cohort: Int
    ) -> [Float] {
        var sum = [Double](repeating: 0, count: base.count)
        for update in updates {
            for (index, value) in UpdateClipping.clip(update.delta, toNorm: privacy.clipNorm).enumerated() {
                sum[index] += Double(value)
            }
        }
        let delta = UserLevelAggregation.noisyMean(
            sum: sum, noiseStandardDeviation: privacy.noiseMultiplier * privacy.clipNorm, cohort: cohort)
        return zip(base, delta).map { $0 + $1 }
    }

    /// Registers `parameters` as the run's next version, with its lineage and metrics.
    func registerVersion(run: ActiveRun, parameters: [Float], metrics: VersionMetrics) async throws(APIError) -> ModelVersionInfo {
        let base = try await catalog.version(of: run.round.model, run.iteration.baseVersion)
        let bundle = try catalog.bundle(base)
        let lineage = VersionLineage(
            parentVersion: base.version, roundId: run.round.id, roundIteration: run.iteration.iteration,
            cohortSize: run.machine.cohort.count,
            privacy: run.round.plan.privacy.map { VersionPrivacy(mode: $0.mode, epsilon: $0.epsilon, delta: $0.delta) })
        let produced: ModelBundle
        do {
            produced = try ModelBundle(manifest: bundle.manifest, model: try MLP(architecture: run.architecture, parameters: parameters))
        } catch {
            throw .internal("\(error)")
        }
        return try await registry.register(produced, as: run.round.model, source: .round, lineage: lineage, metrics: metrics)
    }
}
