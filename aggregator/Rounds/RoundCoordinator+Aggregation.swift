import Foundation
import Privacy
import StarlingCore
import StarlingProtocol

extension RoundCoordinator {
    /// Combines the contributors' stored updates by the run's aggregation rule, steps the server
    /// optimizer on the result, registers the new version, and moves the run on.
    func aggregate(contributors: [String], runID: String) async {
        guard let run = runs[runID] else { return }
        do {
            let (delta, metrics) = try await combineStoredUpdates(run: run, contributors: contributors)
            try await step(
                run: run, averageDelta: delta, metrics: metrics,
                contributors: run.round.plan.userLevelPrivacy == nil ? nil : contributors.count)
        } catch {
            await aggregationFailed(runID: runID, error: error)
        }
    }

    /// One server-optimizer step from the round's base on the aggregated delta, with the run's
    /// optimizer state read from and written back to the database; then the version is registered.
    func step(run: ActiveRun, averageDelta: [Float], metrics: VersionMetrics, contributors: Int?) async throws(APIError)
    {
        let base = try await catalog.version(of: run.round.model, run.iteration.baseVersion)
        let parameters = try catalog.bundle(base).model.parameters
        let state = try await store.optimizerState(roundId: run.round.id) ?? ServerOptimizerState()
        var optimizer: ServerOptimizer
        let stepped: [Float]
        do {
            optimizer = try ServerOptimizer(configuration: run.round.plan.serverOptimizer, state: state)
            stepped = try optimizer.step(parameters: parameters, averageDelta: averageDelta)
        } catch {
            throw .internal("the server optimizer cannot step: \(error)")
        }
        let version = try await registerVersion(run: run, parameters: stepped, metrics: metrics)
        try await store.saveOptimizerState(optimizer.state, roundId: run.round.id, at: clock())
        await iterationCompleted(runID: run.round.id, version: version, metrics: metrics, contributors: contributors)
    }

    /// Records the version an iteration produced, starts its evaluation when the run asks for one,
    /// and starts the next iteration or completes the run.
    func iterationCompleted(runID: String, version: ModelVersionInfo, metrics: VersionMetrics, contributors: Int?) async
    {
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
        self.metrics.roundEnded(kind: current.round.plan.kind, .completed)
        try? FileManager.default.removeItem(
            at: directory.updates.appendingPathComponent(runID).appendingPathComponent("\(current.iteration.iteration)")
        )
        logger.info(
            "round iteration completed",
            metadata: [
                "round": "\(runID)", "iteration": "\(current.iteration.iteration)", "version": "\(version.version)",
            ])
        await evaluateIfDue(current, version: version.version)
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

    /// With `evaluate_every` K, the versions of rounds K, 2K, … and the last round's are evaluated by
    /// a run of their own on the same devices and with the same secure-aggregation setting.
    private func evaluateIfDue(_ run: ActiveRun, version: Int) async {
        let plan = run.round.plan
        guard let every = plan.evaluateEvery else { return }
        let number = run.iteration.iteration
        guard number % every == 0 || number == plan.rounds else { return }
        let request = EvaluateRequest(
            model: plan.model, version: version, selector: plan.selector, clients: plan.clients,
            minClients: plan.minClients, deadlineSeconds: plan.deadlineSeconds,
            secureAggregation: plan.secureAggregation != nil, seed: plan.seed &+ UInt64(number))
        do {
            let started = try await startEvaluation(request, parent: run.round.id)
            logger.info("evaluation started", metadata: ["round": "\(run.round.id)", "evaluation": "\(started.id)"])
        } catch {
            logger.error("cannot start an evaluation", metadata: ["round": "\(run.round.id)", "error": "\(error)"])
        }
    }

    /// A one-round run (evaluation or statistics) has its result from `contributors` devices: the
    /// run completes. The count is recorded because secure runs keep no per-device rows to count.
    func runCompleted(runID: String, contributors: Int) async {
        guard var current = runs[runID] else { return }
        current.machine.aggregationSucceeded()
        current.iteration.state = .completed
        current.iteration.contributors = contributors
        current.iteration.endedAt = clock()
        current.secure = nil
        runs[runID] = current
        metrics.roundEnded(kind: current.round.plan.kind, .completed)
        await finish(runID: runID, failure: nil)
    }

    /// The iteration could not produce its result: the run fails with the reason.
    func aggregationFailed(runID: String, error: APIError) async {
        logger.error("aggregation failed", metadata: ["round": "\(runID)", "error": "\(error)"])
        guard var current = runs[runID] else { return }
        let action = current.machine.aggregationFailed(reason: "aggregation failed: \(error.message)")
        runs[runID] = current
        if let action { await perform(action, runID: runID) }
    }

    /// The contributors' updates combined by the run's rule (weighted mean, median or trimmed
    /// mean), with their metrics; under central privacy the noisy mean of clipped updates.
    private func combineStoredUpdates(
        run: ActiveRun, contributors: [String]
    ) async throws(APIError) -> ([Float], VersionMetrics) {
        guard let architecture = run.architecture else { throw .internal("a training run has no model") }
        let rows = try await store.updates(roundId: run.round.id, iteration: run.iteration.iteration)
            .filter { contributors.contains($0.deviceId) }
        var updates: [ValidatedUpdate] = []
        for row in rows {
            updates.append(try UpdateValidator.validate(try Self.storedBytes(row), architecture: architecture))
        }
        if let privacy = run.round.plan.userLevelPrivacy {
            return (
                Self.centralMean(updates: updates, privacy: privacy, cohort: run.machine.cohort.count), VersionMetrics()
            )
        }
        do {
            let delta = try RobustAggregation.aggregate(
                updates.map { (weight: DeviceCounts.weight($0.trainSamples), delta: $0.delta) },
                rule: run.round.plan.aggregation)
            return (delta, FederatedMetrics.combine(updates))
        } catch {
            throw .internal("\(error)")
        }
    }

    /// The bytes a device uploaded, from the file its row points at.
    static func storedBytes(_ row: RoundUpdateRecord) throws(APIError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: row.path) else {
            throw .internal("the stored contribution of \(row.deviceId) is missing")
        }
        return Array(data)
    }

    /// Central privacy over plain uploads: the noisy mean of the deltas, each clipped here whatever
    /// the device did, with noise σ·C on the sum and the cohort's size as denominator. The version
    /// records no metrics, which would be computed from the devices' data without noise.
    private static func centralMean(updates: [ValidatedUpdate], privacy: UserLevelPrivacy, cohort: Int) -> [Float] {
        let length = updates.first?.delta.count ?? 0
        var sum = [Double](repeating: 0, count: length)
        for update in updates {
            for (index, value) in UpdateClipping.clip(update.delta, toNorm: privacy.clipNorm).enumerated() {
                sum[index] += Double(value)
            }
        }
        return UserLevelAggregation.noisyMean(
            sum: sum, noiseStandardDeviation: privacy.noiseMultiplier * privacy.clipNorm, cohort: cohort)
    }

    /// Registers `parameters` as the run's next version, with its lineage and metrics.
    func registerVersion(run: ActiveRun, parameters: [Float], metrics: VersionMetrics) async throws(APIError)
        -> ModelVersionInfo
    {
        let base = try await catalog.version(of: run.round.model, run.iteration.baseVersion)
        let bundle = try catalog.bundle(base)
        let lineage = VersionLineage(
            parentVersion: base.version, roundId: run.round.id, roundIteration: run.iteration.iteration,
            cohortSize: run.machine.cohort.count,
            privacy: run.round.plan.privacy.map { VersionPrivacy(mode: $0.mode, epsilon: $0.epsilon, delta: $0.delta) })
        let produced: ModelBundle
        do {
            produced = try ModelBundle(
                manifest: bundle.manifest,
                model: try MLP(architecture: bundle.manifest.architecture, parameters: parameters))
        } catch {
            throw .internal("\(error)")
        }
        return try await registry.register(
            produced, as: run.round.model, source: .round, lineage: lineage, metrics: metrics)
    }
}
