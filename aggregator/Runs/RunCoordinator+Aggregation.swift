import Foundation
import Privacy
import StarlingCore
import StarlingProtocol

extension RunCoordinator {
    /// Combines the contributors' stored updates by the run's aggregation rule, steps the server
    /// optimizer on the result, registers the new version, and moves the run on.
    func aggregate(contributors: [String], runID: String) async {
        guard let run = runs[runID] else { return }
        do {
            let (delta, metrics) = try await combineStoredUpdates(run: run, contributors: contributors)
            try await step(
                run: run, averageDelta: delta, metrics: metrics,
                contributors: run.record.plan.userLevelPrivacy == nil ? nil : contributors.count)
        } catch {
            await aggregationFailed(runID: runID, error: error)
        }
    }

    /// One server-optimizer step from the round's base on the aggregated delta, with the run's
    /// optimizer state read from the database; the version is registered in one transaction with
    /// the optimizer's new state and the run's progress.
    func step(run: ActiveRun, averageDelta: [Float], metrics: VersionMetrics, contributors: Int?) async throws(APIError)
    {
        let base = try await catalog.version(of: run.record.model, run.machine.baseVersion)
        let parameters = try catalog.bundle(base).model.parameters
        let state = try await store.optimizerState(runId: run.record.id) ?? ServerOptimizerState()
        var optimizer: ServerOptimizer
        let stepped: [Float]
        do {
            optimizer = try ServerOptimizer(configuration: run.record.plan.serverOptimizer, state: state)
            stepped = try optimizer.step(parameters: parameters, averageDelta: averageDelta)
        } catch {
            throw .internal("the server optimizer cannot step: \(error)")
        }
        let write = resultWrite(of: run, metrics: metrics, contributors: contributors, optimizer: optimizer.state)
        let version = try await registerVersion(run: run, parameters: stepped, metrics: metrics, alongside: write)
        await roundRecorded(write, runID: run.record.id, version: version)
    }

    /// The round's end as its result's transaction writes it.
    func resultWrite(
        of run: ActiveRun, metrics: VersionMetrics?, contributors: Int?, optimizer: ServerOptimizerState? = nil
    ) -> RoundResultWrite {
        RoundResultWrite(
            run: run.record, machine: run.machine, round: run.round, metrics: metrics,
            contributors: contributors, optimizerState: optimizer, now: clock(), leadership: store.leadership)
    }

    /// A round's result and its end are recorded: the run moves on in memory as it did in the
    /// database, to its next round (after starting an evaluation of the new version when one is
    /// due) or to its completion. Nothing moves a machine out of aggregating but its result; in a
    /// buffered secure run the other groups went on meanwhile in memory, so the result is applied
    /// to the machine as it stands now, which is then written over the transaction's.
    func roundRecorded(_ write: RoundResultWrite, runID: String, version: ModelVersionInfo?) async {
        guard var run = runs[runID], case .aggregating = run.machine.phase else { return }
        let outcome = write.outcome(version: version?.version)
        let actions = run.machine.resultRecorded(version: version?.version, at: write.now)
        let wentOn = run.machine != outcome.machine
        if wentOn { run.machine.supersede(outcome.machine) }
        run.round = outcome.next ?? outcome.finished
        let groups = Set(run.machine.secureGroups.groups.map(\.id))
        run.sessions = run.sessions.filter { groups.contains($0.key) }
        if let version {
            run.digests[version.version] = version.sha256
            let open = Set(
                run.machine.grants.values.map(\.baseVersion) + run.machine.secureGroups.groups.map(\.baseVersion)
                    + [run.machine.baseVersion])
            run.digests = run.digests.filter { open.contains($0.key) }
        }
        runs[runID] = run
        if wentOn, !run.machine.isFinished, await persist(run) {
            runs[runID]?.markDurable(run.machine)
        }
        metrics.roundEnded(kind: run.record.plan.kind, .completed)
        try? FileManager.default.removeItem(
            at: directory.updates.appendingPathComponent(runID).appendingPathComponent("\(write.round.round)"))
        logger.info(
            "round completed",
            metadata: [
                "run": "\(runID)", "round": "\(write.round.round)",
                "version": "\(version.map { "\($0.version)" } ?? "-")",
            ])
        if let version {
            await evaluateIfDue(run.record.plan, of: runID, round: write.round.round, version: version.version)
        }
        // The next round starts at once, and its tasks (or the run's end) tell the held watches of
        // the change: they are told once, not for the result and again at the next tick.
        let revision = await broadcaster.current
        for action in actions { await perform(action, runID: runID) }
        await tickNow(runID: runID)
        if await broadcaster.current == revision { await broadcaster.bump() }
    }

    /// With `evaluate_every` K, the versions of rounds K, 2K, … and the last round's are evaluated by
    /// a run of their own on the same devices and with the same secure-aggregation setting.
    private func evaluateIfDue(_ plan: RunPlan, of runID: String, round number: Int, version: Int) async {
        guard let every = plan.evaluateEvery, number % every == 0 || number == plan.rounds else { return }
        let request = EvaluateRequest(
            model: plan.model, version: version, selector: plan.selector, clients: plan.clients,
            minClients: plan.minClients, deadlineSeconds: plan.deadlineSeconds,
            secureAggregation: plan.secureAggregation != nil, seed: plan.seed &+ UInt64(number))
        do {
            let started = try await startEvaluation(request, parent: runID)
            logger.info("evaluation started", metadata: ["run": "\(runID)", "evaluation": "\(started.id)"])
        } catch {
            logger.error("cannot start an evaluation", metadata: ["run": "\(runID)", "error": "\(error)"])
        }
    }

    /// The round could not produce its result: the run fails with the reason.
    func aggregationFailed(runID: String, error: APIError) async {
        logger.error("aggregation failed", metadata: ["run": "\(runID)", "error": "\(error)"])
        await handle(runID) { $0.aggregationFailed(reason: "aggregation failed: \(error.message)") }
    }

    /// The round's stored updates combined by the run's rule (weighted mean, median or trimmed
    /// mean), with their metrics; under central privacy the noisy mean of clipped updates. In a
    /// buffered run each update counts s = 1/√(1 + staleness) of its weight (``StalenessWeight``),
    /// and the result is Σ wᵢsᵢΔᵢ / Σ wᵢ, as in FedBuff: a buffer of late updates takes a shorter step.
    ///
    /// The updates combined are the machine's contributors and those other replicas stored that
    /// the machine had not yet been told of when the round closed (their stores committed first),
    /// but none this replica is still storing, whose own request decides. The weighted mean adds
    /// the replicas' partial sums when they cover exactly those updates, and reads every update
    /// otherwise.
    private func combineStoredUpdates(
        run: ActiveRun, contributors: [String]
    ) async throws(APIError) -> ([Float], VersionMetrics) {
        guard let architecture = run.architecture else { throw .internal("a training run has no model") }
        let (runID, round) = (run.record.id, run.machine.round)
        let counted = Set(contributors)
        let inFlight = inFlight
        let rows = try await store.updates(runId: runID, round: round).filter {
            counted.contains($0.deviceId) || !inFlight.contains(Self.key(runID, round, $0.deviceId))
        }
        if run.record.plan.userLevelPrivacy == nil, run.record.plan.aggregation == .mean {
            let partial = PartialSum.combined(try await store.partialSums(runId: runID, round: round))
            if partial.devices.count == rows.count, Set(partial.devices) == Set(rows.map(\.deviceId)) {
                return (
                    try partial.averageDelta(parameterCount: architecture.parameterCount),
                    FederatedMetrics.combine(rows)
                )
            }
        }
        var updates: [ValidatedUpdate] = []
        for row in rows {
            updates.append(try UpdateValidator.validate(try await store.bytes(of: row), architecture: architecture))
        }
        let lags = rows.map { $0.staleness ?? 0 }
        if let privacy = run.record.plan.userLevelPrivacy {
            let cohort = run.record.plan.buffering?.size ?? run.machine.cohort.count
            return (Self.centralMean(updates: updates, lags: lags, privacy: privacy, cohort: cohort), VersionMetrics())
        }
        do {
            let weights = updates.map { DeviceCounts.weight($0.trainSamples) }
            let scaled = zip(weights, lags).map { StalenessWeight.scaled($0, staleness: $1) }
            let delta = try RobustAggregation.aggregate(
                zip(scaled, updates).map { (weight: $0, delta: $1.delta) }, rule: run.record.plan.aggregation)
            let discount = StalenessWeight.discount(weights: weights, scaled: scaled)
            return (discount == 1 ? delta : delta.map { $0 * Float(discount) }, FederatedMetrics.combine(updates))
        } catch {
            throw .internal("\(error)")
        }
    }

    /// Central privacy over plain uploads: the noisy mean of the deltas, each clipped here whatever
    /// the device did (and scaled down by its staleness factor, which keeps the sum's sensitivity at
    /// C), with noise σ·C on the sum and the cohort's size (a buffered run's buffer) as denominator:
    /// each round, or buffer, is one Gaussian step of the accountant. The version records no
    /// metrics, which would be computed from the devices' data without noise.
    private static func centralMean(
        updates: [ValidatedUpdate], lags: [Int], privacy: UserLevelPrivacy, cohort: Int
    ) -> [Float] {
        let length = updates.first?.delta.count ?? 0
        var sum = [Double](repeating: 0, count: length)
        for (update, lag) in zip(updates, lags) {
            let factor = StalenessWeight.factor(staleness: lag)
            for (index, value) in UpdateClipping.clip(update.delta, toNorm: privacy.clipNorm).enumerated() {
                sum[index] += factor * Double(value)
            }
        }
        return UserLevelAggregation.noisyMean(
            sum: sum, noiseStandardDeviation: privacy.noiseMultiplier * privacy.clipNorm, cohort: cohort)
    }

    /// Registers `parameters` as the run's next version, with its lineage and metrics, in one
    /// transaction with the round's end.
    func registerVersion(
        run: ActiveRun, parameters: [Float], metrics: VersionMetrics, alongside write: RoundResultWrite
    ) async throws(APIError) -> ModelVersionInfo {
        let base = try await catalog.version(of: run.record.model, run.machine.baseVersion)
        let bundle = try catalog.bundle(base)
        let lineage = VersionLineage(
            parentVersion: base.version, runId: run.record.id, round: run.machine.round,
            cohortSize: run.machine.cohort.count,
            privacy: run.record.plan.privacy.map {
                VersionPrivacy(mode: $0.mode, epsilon: $0.epsilon, delta: $0.delta)
            },
            trigger: run.record.plan.trigger)
        let produced: ModelBundle
        do {
            produced = try ModelBundle(
                manifest: bundle.manifest,
                model: try Model(architecture: bundle.manifest.architecture, parameters: parameters))
        } catch {
            throw .internal("\(error)")
        }
        return try await registry.register(
            produced, as: run.record.model, source: .round, lineage: lineage, metrics: metrics
        ) { db, version in try write.write(db, version: version.version) }
    }
}
