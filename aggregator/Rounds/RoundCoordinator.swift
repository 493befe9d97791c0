import Foundation
import Logging
import ServiceLifecycle
import StarlingCore
import StarlingProtocol

/// Drives federated runs of every kind (training, evaluation, feature statistics): one
/// ``IterationStateMachine`` per active run, fed clock ticks, eligible devices, accepted
/// contributions and failure reports; it performs the machine's actions (issue tasks, aggregate,
/// fail) against storage, the registry and the watch revision.
///
/// Runs live in memory while active and in the database always; a run interrupted by a restart
/// is marked failed at start-up (see ``RoundStore/failInterrupted(at:)``).
actor RoundCoordinator: Service {
    /// An active run and the iteration it is on.
    struct ActiveRun: Sendable {
        var round: RoundRecord
        var iteration: RoundIterationRecord
        var machine: IterationStateMachine
        /// The model trained or evaluated; nil for statistics runs.
        var architecture: ModelArchitecture?
        /// SHA-256 of the base version's fp32 artifact; empty for statistics runs.
        var baseSHA256: String
        /// The iteration's secure aggregation, once its cohort is chosen (secure runs only).
        var secure: SecureIteration?

        /// What the iteration's devices are told about privacy: the run's setting, and under
        /// distributed privacy the noise each device adds for this cohort.
        var privacyTask: PrivacyTask? {
            var task = round.plan.privacyTask
            task?.deviceNoiseStandardDeviation = secure?.encoding?.deviceNoise?.deviceStandardDeviation
            return task
        }
    }

    let store: RoundStore
    let catalog: ModelCatalog
    let registry: ModelRegistry
    let profiles: ProfileStore
    let evaluations: EvaluationStore
    let devices: DeviceRegistry
    let broadcaster: RevisionBroadcaster
    let directory: DataDirectory
    let clock: @Sendable () -> Date
    let tickInterval: Duration
    let defaultDeadline: TimeInterval
    /// The fewest devices a statistics collection may summarise.
    let minimumStatisticsDevices: Int
    let metrics: AggregatorMetrics
    let logger: Logger
    var runs: [String: ActiveRun] = [:]
    /// Updates being stored right now, so a concurrent duplicate is refused.
    var inFlight: Set<String> = []

    init(
        store: RoundStore, catalog: ModelCatalog, registry: ModelRegistry, profiles: ProfileStore,
        evaluations: EvaluationStore, devices: DeviceRegistry, broadcaster: RevisionBroadcaster,
        directory: DataDirectory, clock: @escaping @Sendable () -> Date, tickInterval: Duration,
        defaultDeadline: TimeInterval, minimumStatisticsDevices: Int, metrics: AggregatorMetrics, logger: Logger
    ) {
        self.store = store
        self.catalog = catalog
        self.registry = registry
        self.profiles = profiles
        self.evaluations = evaluations
        self.minimumStatisticsDevices = minimumStatisticsDevices
        self.devices = devices
        self.broadcaster = broadcaster
        self.directory = directory
        self.clock = clock
        self.tickInterval = tickInterval
        self.defaultDeadline = defaultDeadline
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts a training run from an admin's request.
    func start(_ request: StartRoundRequest) async throws(APIError) -> RoundInfo {
        let plan = try RoundPlan(
            validating: request, defaultDeadline: defaultDeadline, seed: UInt64.random(in: 0...UInt64.max))
        return try await begin(plan)
    }

    /// Starts an evaluation run of a version on the devices' held-out samples; `parent` names the
    /// training run it evaluates a version of.
    func startEvaluation(_ request: EvaluateRequest, parent: String? = nil) async throws(APIError) -> RoundInfo {
        let version = try await catalog.version(of: request.model, request.version)
        var plan = try RoundPlan(
            validating: request, version: version.version, defaultDeadline: defaultDeadline,
            seed: UInt64.random(in: 0...UInt64.max))
        plan.parentRunId = parent
        return try await begin(plan)
    }

    /// Starts a statistics run that collects a feature profile over a feature width, given or
    /// taken from a model's input.
    func startStatistics(_ request: CollectStatisticsRequest) async throws(APIError) -> RoundInfo {
        try ProfileStore.validateName(request.name)
        var width = request.width ?? 0
        var model = ""
        switch (request.width, request.featuresFrom) {
        case (.some, .some), (nil, nil):
            throw .badRequest(.invalidStatisticsRequest, "give either width or features_from (a model), not both")
        case (_, let source?):
            let base = try await catalog.version(of: source, nil)
            width = try catalog.bundle(base).manifest.architecture.inputSize
            model = source
        case (.some, nil):
            break
        }
        let plan = try RoundPlan(
            validating: request, width: width, model: model, minimumDevices: minimumStatisticsDevices,
            defaultDeadline: defaultDeadline, seed: UInt64.random(in: 0...UInt64.max))
        return try await begin(plan)
    }

    /// Records and activates a validated run.
    private func begin(_ plan: RoundPlan) async throws(APIError) -> RoundInfo {
        var architecture: ModelArchitecture?
        var baseVersion = 0
        var baseSHA256 = ""
        if plan.kind != .statistics {
            let base = try await catalog.version(of: plan.model, plan.baseVersion)
            architecture = try catalog.bundle(base).manifest.architecture
            baseVersion = base.version
            baseSHA256 = base.sha256
        }
        let now = clock()
        let round = RoundRecord(
            id: Secrets.identifier(prefix: "rnd-"), kind: plan.kind, model: plan.model, state: .waiting, plan: plan,
            failureReason: nil, createdAt: now)
        let iteration = Self.newIteration(of: round, number: 1, baseVersion: baseVersion, at: now)
        try await store.insert(round, first: iteration)
        runs[round.id] = ActiveRun(
            round: round, iteration: iteration, machine: Self.machine(for: round, iteration: 1, at: now),
            architecture: architecture, baseSHA256: baseSHA256, secure: nil)
        logger.info(
            "run started",
            metadata: [
                "round": "\(round.id)", "kind": "\(plan.kind.rawValue)", "model": "\(plan.model)",
                "base": "\(baseVersion)",
            ])
        return try await store.info(id: round.id)
    }

    /// The tasks `device` should work on now: open iterations whose cohort holds it and that
    /// have no contribution or failure report from it yet.
    func tasks(for device: String) -> [RoundTask] {
        runs.values.sorted { $0.round.createdAt < $1.round.createdAt }.compactMap { run in
            guard run.machine.admission(of: device) == .accepted, let deadline = run.iteration.deadline,
                let index = run.machine.cohort.firstIndex(of: device)
            else { return nil }
            let plan = run.round.plan
            let number = run.iteration.iteration
            let training = plan.kind == .train
            return RoundTask(
                roundId: run.round.id, iteration: number, kind: plan.kind, model: plan.model,
                baseVersion: run.iteration.baseVersion, sha256: run.baseSHA256, localEpochs: plan.localEpochs,
                learningRate: plan.learningRate(round: number), momentum: plan.momentum, batchSize: plan.batchSize,
                deadline: deadline, seed: plan.seed &+ UInt64(number) &* 7919 &+ UInt64(index),
                secureAggregation: run.secure.map { $0.task(for: index) }, privacy: training ? run.privacyTask : nil,
                training: training ? plan.training : nil,
                statistics: plan.statistics.map { StatisticsTask(width: $0.width, grid: $0.grid) })
        }
    }

    func run() async throws {
        await PeriodicTicks.run(every: tickInterval) { await self.tick() }
        logger.debug("round coordinator stopped")
    }

    /// Feeds the current time and eligible devices to every active run.
    func tick() async {
        guard !runs.isEmpty else { return }
        let now = clock()
        let candidates = devices.activeDevices()
        let online = candidates.filter { $0.sampleCount > 0 && devices.presence.isOnline($0.id, at: now) }
        for id in Array(runs.keys) {
            guard var run = runs[id] else { continue }
            let eligible = online.filter { run.round.plan.selector.matches($0.tags) }.map(\.id)
            let action = run.machine.tick(now: now, eligible: eligible)
            runs[id] = run
            if let action { await perform(action, runID: id) }
        }
        await closeOverdueSecureStages(now: now)
    }

    /// Carries out one action of a run's machine.
    func perform(_ action: IterationStateMachine.Action, runID: String) async {
        switch action {
        case .issueTasks(let cohort, let deadline):
            await issue(cohort: cohort, deadline: deadline, runID: runID)
        case .aggregate(let contributors):
            guard let run = runs[runID] else { return }
            if run.secure != nil {
                await closeSecureStage(runID: runID)
                return
            }
            switch run.round.plan.kind {
            case .train: await aggregate(contributors: contributors, runID: runID)
            case .evaluate: await aggregateEvaluations(contributors: contributors, runID: runID)
            case .statistics: await aggregateStatistics(contributors: contributors, runID: runID)
            }
        case .fail(let reason):
            await finish(runID: runID, failure: reason)
        }
    }

    private func issue(cohort: [String], deadline: Date, runID: String) async {
        guard var run = runs[runID] else { return }
        do {
            run.secure = try secureIteration(for: run, cohort: cohort)
        } catch {
            return await finish(runID: runID, failure: "secure aggregation cannot start: \(error)")
        }
        run.iteration.state = .running
        run.iteration.cohort = cohort
        run.iteration.deadline = deadline
        run.round.state = .running
        runs[runID] = run
        do {
            try await store.save(run.iteration, roundState: .running)
        } catch {
            logger.error("cannot record a cohort", metadata: ["round": "\(runID)", "error": "\(error)"])
        }
        logger.info(
            "round tasks issued",
            metadata: ["round": "\(runID)", "iteration": "\(run.iteration.iteration)", "cohort": "\(cohort.count)"])
        await broadcaster.bump()
    }

    /// Ends a run: failed with `failure` (and the round it is on with it), or completed when nil.
    func finish(runID: String, failure: String?) async {
        guard var run = runs.removeValue(forKey: runID) else { return }
        let now = clock()
        if let failure {
            run.iteration.state = .failed
            run.iteration.failureReason = failure
            run.iteration.endedAt = run.iteration.endedAt ?? now
            metrics.roundEnded(kind: run.round.plan.kind, .failed)
        }
        metrics.runEnded(kind: run.round.plan.kind, failure == nil ? .completed : .failed)
        let state: RoundState = failure == nil ? .completed : .failed
        do {
            try await store.save(run.iteration, roundState: state, failureReason: failure)
        } catch {
            logger.error("cannot record a round's end", metadata: ["round": "\(runID)", "error": "\(error)"])
        }
        try? FileManager.default.removeItem(at: directory.updates.appendingPathComponent(runID))
        logger.info(
            "round ended", metadata: ["round": "\(runID)", "state": "\(state.rawValue)", "reason": "\(failure ?? "")"])
        await broadcaster.bump()
    }

    static func newIteration(of round: RoundRecord, number: Int, baseVersion: Int, at now: Date) -> RoundIterationRecord
    {
        RoundIterationRecord(
            roundId: round.id, iteration: number, state: .waiting, baseVersion: baseVersion, cohort: [], deadline: nil,
            producedVersion: nil, metrics: nil, failureReason: nil, startedAt: now, endedAt: nil, contributors: nil)
    }

    static func machine(for round: RoundRecord, iteration: Int, at now: Date) -> IterationStateMachine {
        let plan = round.plan
        return IterationStateMachine(
            configuration: .init(
                clients: plan.clients, minClients: plan.minClients, invited: plan.invited,
                deadlineSeconds: plan.deadlineSeconds,
                seed: plan.seed &+ UInt64(iteration)),
            startedAt: now)
    }
}
