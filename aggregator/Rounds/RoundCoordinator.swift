import Foundation
import Logging
import ServiceLifecycle
import StarlingCore
import StarlingProtocol

/// Drives federated runs: one ``IterationStateMachine`` per active run, fed clock ticks, eligible
/// devices and accepted updates; it performs the machine's actions (issue tasks, aggregate with
/// ``FedAvg``, fail) against storage, the registry and the watch revision.
///
/// Runs live in memory while active and in the database always; a run interrupted by a restart
/// is marked failed at start-up (see ``RoundStore/failInterrupted(at:)``).
actor RoundCoordinator: Service {
    /// An active run and the iteration it is on.
    struct ActiveRun: Sendable {
        var round: RoundRecord
        var iteration: RoundIterationRecord
        var machine: IterationStateMachine
        var architecture: ModelArchitecture
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
    let devices: DeviceRegistry
    let broadcaster: RevisionBroadcaster
    let directory: DataDirectory
    let clock: @Sendable () -> Date
    let tickInterval: Duration
    let defaultDeadline: TimeInterval
    let logger: Logger
    var runs: [String: ActiveRun] = [:]
    /// Updates being stored right now, so a concurrent duplicate is refused.
    var inFlight: Set<String> = []

    init(
        store: RoundStore, catalog: ModelCatalog, registry: ModelRegistry, devices: DeviceRegistry,
        broadcaster: RevisionBroadcaster, directory: DataDirectory, clock: @escaping @Sendable () -> Date,
        tickInterval: Duration, defaultDeadline: TimeInterval, logger: Logger
    ) {
        self.store = store
        self.catalog = catalog
        self.registry = registry
        self.devices = devices
        self.broadcaster = broadcaster
        self.directory = directory
        self.clock = clock
        self.tickInterval = tickInterval
        self.defaultDeadline = defaultDeadline
        self.logger = logger
    }

    /// Starts a run from an admin's request.
    func start(_ request: StartRoundRequest) async throws(APIError) -> RoundInfo {
        let plan = try RoundPlan(
            validating: request, defaultDeadline: defaultDeadline, seed: UInt64.random(in: 0...UInt64.max))
        let base = try await catalog.version(of: plan.model, plan.baseVersion)
        let architecture = try catalog.bundle(base).manifest.architecture
        let now = clock()
        let round = RoundRecord(
            id: Secrets.identifier(prefix: "rnd-"), model: plan.model, state: .waiting, plan: plan,
            failureReason: nil, createdAt: now)
        let iteration = Self.newIteration(of: round, number: 1, baseVersion: base.version, at: now)
        try await store.insert(round, first: iteration)
        runs[round.id] = ActiveRun(
            round: round, iteration: iteration, machine: Self.machine(for: round, iteration: 1, at: now),
            architecture: architecture, baseSHA256: base.sha256, secure: nil)
        logger.info("round started", metadata: ["round": "\(round.id)", "model": "\(plan.model)", "base": "\(base.version)"])
        return try await store.info(id: round.id)
    }

    /// The tasks `device` should work on now: open iterations whose cohort holds it and that
    /// have no update from it yet.
    func tasks(for device: String) -> [RoundTask] {
        runs.values.sorted { $0.round.createdAt < $1.round.createdAt }.compactMap { run in
            guard run.machine.admission(of: device) == .accepted, let deadline = run.iteration.deadline,
                let index = run.machine.cohort.firstIndex(of: device)
            else { return nil }
            let plan = run.round.plan
            return RoundTask(
                roundId: run.round.id, iteration: run.iteration.iteration, model: plan.model,
                baseVersion: run.iteration.baseVersion, sha256: run.baseSHA256, localEpochs: plan.localEpochs,
                learningRate: plan.learningRate, momentum: plan.momentum, batchSize: plan.batchSize,
                deadline: deadline, seed: plan.seed &+ UInt64(run.iteration.iteration) &* 7919 &+ UInt64(index),
                secureAggregation: run.secure.map { $0.task(for: index) }, privacy: run.privacyTask)
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
            if runs[runID]?.secure != nil {
                await closeSecureStage(runID: runID)
            } else {
                await aggregate(contributors: contributors, runID: runID)
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
        logger.info("round tasks issued", metadata: ["round": "\(runID)", "iteration": "\(run.iteration.iteration)", "cohort": "\(cohort.count)"])
        await broadcaster.bump()
    }

    /// Ends a run: failed with `failure`, or completed when nil.
    func finish(runID: String, failure: String?) async {
        guard var run = runs.removeValue(forKey: runID) else { return }
        let now = clock()
        if let failure {
            run.iteration.state = .failed
            run.iteration.failureReason = failure
            run.iteration.endedAt = run.iteration.endedAt ?? now
        }
        let state: RoundState = failure == nil ? .completed : .failed
        do {
            try await store.save(run.iteration, roundState: state, failureReason: failure)
        } catch {
            logger.error("cannot record a round's end", metadata: ["round": "\(runID)", "error": "\(error)"])
        }
        try? FileManager.default.removeItem(at: directory.updates.appendingPathComponent(runID))
        logger.info("round ended", metadata: ["round": "\(runID)", "state": "\(state.rawValue)", "reason": "\(failure ?? "")"])
        await broadcaster.bump()
    }

    static func newIteration(of round: RoundRecord, number: Int, baseVersion: Int, at now: Date) -> RoundIterationRecord {
        RoundIterationRecord(
            roundId: round.id, iteration: number, state: .waiting, baseVersion: baseVersion, cohort: [], deadline: nil,
            producedVersion: nil, metrics: nil, failureReason: nil, startedAt: now, endedAt: nil, contributors: nil)
    }

    static func machine(for round: RoundRecord, iteration: Int, at now: Date) -> IterationStateMachine {
        let plan = round.plan
        return IterationStateMachine(
            configuration: .init(
                clients: plan.clients, minClients: plan.minClients, deadlineSeconds: plan.deadlineSeconds,
                seed: plan.seed &+ UInt64(iteration)),
            startedAt: now)
    }
}
