import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import StarlingCore
import StarlingProtocol

/// Drives federated runs of every kind (training, evaluation, feature statistics): one
/// ``RunMachine`` per active run, fed clock ticks, eligible devices, accepted contributions, secure
/// stages and failure reports; it carries out the machine's actions (issue tasks, close a secure
/// stage, combine or unmask, record the result, fail) against storage, the registry and the watch
/// revision, and writes the machine into the run's row at every phase change.
///
/// Runs live in memory while active and in the database always. At start-up every unfinished run
/// is taken up again from its stored machine, with its stored contributions (``RunResumption``).
/// Among replicas only the leader drives runs: it takes them up the same way when it becomes leader
/// (``takeOver()``) and drops them when it loses the lead (``stepDown()``); its writes of machines
/// are fenced by its epoch, so a replica that lost the lead cannot move a run.
actor RunCoordinator: Service {
    /// An active run and the round it is on.
    struct ActiveRun: Sendable {
        var record: RunRecord
        var round: RoundRecord
        var machine: RunMachine
        /// The model trained or evaluated; nil for statistics runs.
        var architecture: ModelArchitecture?
        /// SHA-256 of the fp32 artifacts of the versions the run's tasks start from, by version:
        /// the round's base, and in buffered runs the bases of earlier rounds' open tasks.
        var digests: [Int: String]
        /// The secure aggregations in flight, by session: the round's own once its cohort is chosen
        /// (``RunMachine/roundSession``), or a buffered secure run's groups by id.
        var sessions: [Int: SecureRound] = [:]
        /// The tasks written to the database with the machine. Only these go to devices: a task
        /// handed out before its cohort was written would be one a restarted aggregator does not
        /// know, and the device would go on with it while the run chose again.
        var durableTasks: Set<RunMachine.TaskKey> = []
        /// On the leader: the secure messages taken from other replicas, as
        /// `round/session/attempt/stage/device`.
        var ingested: Set<String> = []
        /// On a replica that does not lead: the published views of the run's secure sessions.
        var views: [Int: SecureSessionView] = [:]

        /// `written` is in the database: its tasks may go out; tasks the machine no longer has
        /// are forgotten.
        mutating func markDurable(_ written: RunMachine) {
            let current = machine.taskKeys
            durableTasks = durableTasks.intersection(current).union(written.taskKeys.intersection(current))
        }

        /// What a secure session's devices are told about privacy: the run's setting, and under
        /// distributed privacy the noise each device adds for this cohort or group.
        func privacyTask(session: Int) -> PrivacyTask? {
            var task = record.plan.privacyTask
            task?.deviceNoiseStandardDeviation =
                sessions[session]?.encoding?.deviceNoise?.deviceStandardDeviation ?? views[session]?.deviceNoise
            return task
        }
    }

    let store: RunStore
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
    var runs: [String: ActiveRun]
    /// Every run this replica has driven since it last took the lead, finished ones too: a run
    /// outside it that the database has unfinished was started through another replica.
    var held: Set<String>
    /// Whether this replica has taken the runs up since it became leader (at start-up, or in
    /// ``takeOver()``): until then it does not look for runs started elsewhere, which would take up
    /// the same runs a second time.
    var drivesRuns: Bool
    /// On a replica that does not lead: the unfinished runs as the leader last wrote them, from
    /// which it hands out tasks and admits contributions (``followStoredRuns()``).
    var followed: [String: ActiveRun] = [:]
    /// On a replica that does not lead: the secure sessions' views as last read, and their revisions.
    var views: [SecureViewID: SecureSessionView] = [:]
    var viewRevisions: [SecureViewID: Int] = [:]
    /// How many reads of the stored runs this replica started, and which it applied last.
    var followReads = 0
    var appliedFollowRead = 0
    /// Updates being stored right now, so a concurrent duplicate is refused.
    var inFlight: Set<String> = []
    /// What the runs taken up at start-up asked for first; carried out when the service starts.
    private var resumedActions: [(run: String, action: RunMachine.Action)]

    /// Takes up the runs a previous process left unfinished (``RunResumption``) before serving.
    init(
        store: RunStore, catalog: ModelCatalog, registry: ModelRegistry, profiles: ProfileStore,
        evaluations: EvaluationStore, devices: DeviceRegistry, broadcaster: RevisionBroadcaster,
        directory: DataDirectory, clock: @escaping @Sendable () -> Date, tickInterval: Duration,
        defaultDeadline: TimeInterval, minimumStatisticsDevices: Int, metrics: AggregatorMetrics, logger: Logger
    ) throws {
        let resumed =
            store.leadership.isLeader
            ? try RunResumption.load(engine: store.engine, catalog: catalog, leadership: store.leadership, at: clock())
            : RunResumption.Resumed()
        if !resumed.runs.isEmpty {
            logger.notice("unfinished runs taken up again", metadata: ["count": "\(resumed.runs.count)"])
        }
        runs = resumed.runs
        held = Set(resumed.runs.keys)
        drivesRuns = store.leadership.isLeader
        resumedActions = resumed.actions
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
    func start(_ request: StartRunRequest) async throws(APIError) -> RunInfo {
        let plan = try RunPlan(
            validating: request, defaultDeadline: defaultDeadline, seed: RunPlan.randomSeed())
        return try await begin(plan)
    }

    /// Starts an evaluation run of a version on the devices' held-out samples; `parent` names the
    /// training run it evaluates a version of.
    func startEvaluation(_ request: EvaluateRequest, parent: String? = nil) async throws(APIError) -> RunInfo {
        let version = try await catalog.version(of: request.model, request.version)
        var plan = try RunPlan(
            validating: request, version: version.version, defaultDeadline: defaultDeadline,
            seed: RunPlan.randomSeed())
        plan.parentRunId = parent
        return try await begin(plan)
    }

    /// Starts a statistics run that collects a feature profile over a feature width, given or
    /// taken from a model's input.
    func startStatistics(_ request: CollectStatisticsRequest) async throws(APIError) -> RunInfo {
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
        let plan = try RunPlan(
            validating: request, width: width, model: model, minimumDevices: minimumStatisticsDevices,
            defaultDeadline: defaultDeadline, seed: RunPlan.randomSeed())
        return try await begin(plan)
    }

    /// Records and activates a validated run. A replica that does not lead only records it: the
    /// leader takes it up from the database (``synchronize()``).
    func begin(_ plan: RunPlan) async throws(APIError) -> RunInfo {
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
        let machine = RunMachine(configuration: plan.machineConfiguration, baseVersion: baseVersion, startedAt: now)
        let record = RunRecord(
            id: Secrets.identifier(prefix: "rnd-"), kind: plan.kind, model: plan.model, state: .waiting, plan: plan,
            failureReason: nil, createdAt: now, machine: machine)
        let round = Self.newRound(of: record, number: 1, baseVersion: baseVersion, at: now)
        // Held before it is stored, so that catching up with other replicas never takes it up too.
        let leads = store.leadership.isLeader
        if leads { held.insert(record.id) }
        do {
            try await store.insert(record, first: round)
        } catch {
            held.remove(record.id)
            throw error
        }
        guard leads else {
            logger.info("run recorded for the leader to start", metadata: ["run": "\(record.id)"])
            await broadcaster.bump()
            return try await store.info(id: record.id)
        }
        runs[record.id] = ActiveRun(
            record: record, round: round, machine: machine, architecture: architecture,
            digests: baseSHA256.isEmpty ? [:] : [baseVersion: baseSHA256])
        logger.info(
            "run started",
            metadata: [
                "run": "\(record.id)", "kind": "\(plan.kind.rawValue)", "model": "\(plan.model)",
                "base": "\(baseVersion)",
            ])
        return try await store.info(id: record.id)
    }

    /// The tasks `device` should work on now: open rounds whose cohort holds it and that
    /// have no contribution or failure report from it yet, and in buffered runs its open task or
    /// its group's.
    func tasks(for device: String) -> [RoundTask] {
        let leads = store.leadership.isLeader
        return (leads ? runs : followed).values.sorted { $0.record.createdAt < $1.record.createdAt }.compactMap { run in
            guard run.machine.admission(of: device) == .accepted else { return nil }
            var attempt = run.machine.attempt
            var session = RunMachine.roundSession
            let plan = run.record.plan
            let number: Int
            let baseVersion: Int
            let deadline: Date
            var mix: UInt64
            // FNV-1a of the device id, cut to 32 bits: in buffered runs a device's seed does not
            // depend on when it joined, and stays a whole number JSON readers keep exactly.
            let deviceMix = device.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
            if let grant = run.machine.grants[device] {
                (number, baseVersion, deadline) = (grant.round, grant.baseVersion, grant.deadline)
                mix = deviceMix & 0xFFFF_FFFF
            } else if let group = run.machine.secureGroups.group(of: device),
                case .advertising(let due, _, _) = group.stage
            {
                (number, baseVersion, deadline) = (group.round, group.baseVersion, due)
                (attempt, session, mix) = (group.id, group.id, deviceMix & 0xFFFF_FFFF)
            } else {
                guard let collection = run.machine.collectionDeadline,
                    let position = run.machine.cohort.firstIndex(of: device)
                else { return nil }
                (number, baseVersion, deadline) = (run.machine.round, run.machine.baseVersion, collection)
                mix = UInt64(position)
            }
            guard run.durableTasks.contains(.init(device: device, round: number, attempt: attempt)) else { return nil }
            let secure = leads ? run.sessions[session]?.task(for: device) : run.views[session]?.tasks[device]
            // Another replica hands out a secure round's tasks once the leader published its session.
            guard secure != nil || plan.secureAggregation == nil else { return nil }
            let training = plan.kind == .train
            return RoundTask(
                runId: run.record.id, round: number, kind: plan.kind, model: plan.model,
                baseVersion: baseVersion, sha256: run.digests[baseVersion] ?? "", localEpochs: plan.localEpochs,
                learningRate: plan.learningRate(round: number), momentum: plan.momentum, batchSize: plan.batchSize,
                deadline: deadline, seed: plan.seed &+ UInt64(number) &* 7919 &+ mix,
                secureAggregation: secure,
                privacy: training ? run.privacyTask(session: session) : nil,
                training: training ? plan.training : nil,
                statistics: plan.statistics.map { StatisticsTask(width: $0.width, grid: $0.grid) },
                monitor: plan.monitor,
                attempt: attempt)
        }
    }

    func run() async throws {
        let actions = resumedActions
        resumedActions = []
        for (run, action) in actions { await perform(action, runID: run) }
        await PeriodicTicks.run(every: tickInterval) { await self.tick() }
        logger.debug("run coordinator stopped")
    }

    /// This replica became leader: takes up every unfinished run from the database, as a restarted
    /// aggregator does, and carries out what their machines ask for first.
    func takeOver() async {
        let (engine, catalog, leadership, now) = (store.engine, catalog, store.leadership, clock())
        do {
            let resumed = try await NIOThreadPool.singleton.runIfActive {
                try RunResumption.load(engine: engine, catalog: catalog, leadership: leadership, at: now)
            }
            runs = resumed.runs
            held = Set(runs.keys)
            drivesRuns = true
            followed = [:]
            logger.notice("runs taken over", metadata: ["count": "\(runs.count)"])
            for (run, action) in resumed.actions { await perform(action, runID: run) }
        } catch {
            logger.error("cannot take over the unfinished runs", metadata: ["error": "\(error)"])
        }
        await broadcaster.bump()
    }

    /// This replica lost the lead: its runs are another replica's to drive now.
    func stepDown() async {
        runs = [:]
        held = []
        drivesRuns = false
        await broadcaster.bump()
    }

    /// Feeds the current time and eligible devices to every active run.
    func tick() async {
        guard !runs.isEmpty, store.leadership.isLeader else { return }
        let now = clock()
        let online = runs.values.contains { $0.machine.wantsEligibleDevices } ? onlineDevices(at: now) : []
        for (id, run) in runs.sorted(by: { $0.value.record.createdAt < $1.value.record.createdAt }) {
            await handle(id) { $0.tick(now: now, eligible: Self.eligible(online, for: run)) }
            await closeQuietStages(runID: id, at: now)
        }
    }

    /// Ticks one run at once, out of turn: a round that ended starts the next as soon as its result
    /// is recorded rather than at the next tick.
    func tickNow(runID: String) async {
        guard let run = runs[runID], store.leadership.isLeader else { return }
        let now = clock()
        let online = run.machine.wantsEligibleDevices ? onlineDevices(at: now) : []
        await handle(runID) { $0.tick(now: now, eligible: Self.eligible(online, for: run)) }
    }

    private func onlineDevices(at now: Date) -> [Device] {
        devices.activeDevices().filter { devices.isOnline($0, at: now) }
    }

    /// The devices of `online` that could join `run`, none unless its machine asks for them.
    private static func eligible(_ online: [Device], for run: ActiveRun) -> [String] {
        guard run.machine.wantsEligibleDevices else { return [] }
        // Monitor runs add up windows, which devices without samples have too.
        let needsSamples = run.record.plan.kind != .monitor
        return online.filter {
            (!needsSamples || $0.sampleCount > 0) && run.record.plan.admits($0.id, tags: $0.tags)
        }.map(\.id)
    }

    /// Feeds one event to a run's machine in place, writes the machine when its phase changed, and
    /// carries out the actions; returns what the event answered (nil when the run is not active).
    @discardableResult
    func handle<Answer>(_ runID: String, _ event: (inout RunMachine) -> (Answer, [RunMachine.Action])) async
        -> Answer?
    {
        // Taken out while the event runs (nothing awaits until it is back), so that the machine is
        // changed in place: a copy left in `runs` made every contribution copy the round's lists of
        // devices, the cohort's size each time.
        guard var run = runs.removeValue(forKey: runID) else { return nil }
        let revision = run.machine.revision
        let deferring = run.machine.defersWrites
        let (answer, actions) = event(&run.machine)
        run.round.attempt = run.machine.attempt
        if run.machine.revision != revision, !run.machine.isFinished, !(deferring && run.machine.defersWrites) {
            run.record.state = run.machine.cohort.isEmpty ? run.record.state : .running
            run.round.state = run.machine.cohort.isEmpty ? .waiting : .running
            run.round.cohort = run.machine.cohort.devices
            run.round.deadline = run.machine.collectionDeadline ?? run.round.deadline
            runs[runID] = run
            if await persist(run) { runs[runID]?.markDurable(run.machine) }
        } else {
            runs[runID] = run
        }
        for action in actions { await perform(action, runID: runID) }
        return answer
    }

    /// ``handle(_:_:)`` for events that answer nothing but actions.
    func handle(_ runID: String, _ event: (inout RunMachine) -> [RunMachine.Action]) async {
        await handle(runID) { machine in ((), event(&machine)) }
    }

    /// Writes a run's machine, its round row and its state; a failed write is logged, and the next
    /// phase change writes the machine again. Returns whether it was written.
    func persist(_ run: ActiveRun) async -> Bool {
        do {
            try await store.save(run.machine, of: run.record.id, roundState: run.record.state, round: run.round)
            return true
        } catch {
            logger.error("cannot record a run's progress", metadata: ["run": "\(run.record.id)", "error": "\(error)"])
            return false
        }
    }

    /// Carries out one action of a run's machine.
    func perform(_ action: RunMachine.Action, runID: String) async {
        switch action {
        case .issueTasks(let cohort, _):
            await issue(cohort: cohort, session: RunMachine.roundSession, runID: runID)
        case .issueGroupTasks(let group):
            guard let members = runs[runID]?.machine.secureGroups.group(id: group)?.members else { return }
            await issue(cohort: members, session: group, runID: runID)
        case .closeSecureStage:
            await closeSecureStage(runID: runID, session: RunMachine.roundSession)
        case .closeGroupStage(let group):
            await closeSecureStage(runID: runID, session: group)
        case .combine(let contributors):
            switch runs[runID]?.record.plan.kind {
            case .train: await aggregate(contributors: contributors, runID: runID)
            case .evaluate: await aggregateEvaluations(contributors: contributors, runID: runID)
            case .statistics: await aggregateStatistics(contributors: contributors, runID: runID)
            case .monitor:
                await aggregationFailed(
                    runID: runID, error: .internal("a monitor run has no plain contributions: it is secure only"))
            case nil: return
            }
        case .unmask:
            await finishSecure(runID: runID, session: RunMachine.roundSession)
        case .unmaskGroup(let group):
            await finishSecure(runID: runID, session: group)
        case .dropGroup(let group, let reason):
            runs[runID]?.sessions[group] = nil
            logger.warning(
                "a secure group was dropped", metadata: ["run": "\(runID)", "group": "\(group)", "reason": "\(reason)"])
            await broadcaster.bump()
        case .complete:
            await finish(runID: runID, failure: nil)
        case .fail(let reason):
            await finish(runID: runID, failure: reason)
        }
    }

    /// Sets up the secure aggregation of a freshly chosen cohort (or of a new attempt with the
    /// same cohort), or of a buffered secure run's new group, and tells the devices.
    private func issue(cohort: [String], session: Int, runID: String) async {
        guard var run = runs[runID] else { return }
        do {
            run.sessions[session] = try secureRound(for: run, cohort: cohort, session: session)
        } catch {
            let now = clock()
            guard session == RunMachine.roundSession else {
                return await handle(runID) {
                    $0.secureGroupFailed(session, reason: "it cannot start: \(error)", at: now)
                }
            }
            return await handle(runID) { $0.secureAggregationFailed(reason: "it cannot start: \(error)") }
        }
        runs[runID] = run
        logger.info(
            "round tasks issued",
            metadata: [
                "run": "\(runID)", "round": "\(run.machine.round)", "attempt": "\(run.machine.attempt)",
                "session": "\(session)", "cohort": "\(cohort.count)",
            ])
        await publishSession(runID: runID, session: session)
        await broadcaster.bump()
    }

    /// Ends a run that its machine ended: failed with `failure` (the round it is on with it), or
    /// completed, as the last result's transaction already recorded.
    func finish(runID: String, failure: String?) async {
        guard var run = runs.removeValue(forKey: runID) else { return }
        metrics.runEnded(kind: run.record.plan.kind, failure == nil ? .completed : .failed)
        if let failure {
            run.round.state = .failed
            run.round.failureReason = failure
            run.round.endedAt = run.round.endedAt ?? clock()
            metrics.roundEnded(kind: run.record.plan.kind, .failed)
            do {
                try await store.save(
                    run.machine, of: runID, roundState: .failed, round: run.round, failureReason: failure)
            } catch {
                logger.error("cannot record a run's end", metadata: ["run": "\(runID)", "error": "\(error)"])
            }
        }
        try? FileManager.default.removeItem(at: directory.updates.appendingPathComponent(runID))
        do {
            try await store.deleteBytes(runId: runID)
            try await store.deletePartialSums(runId: runID)
            if sharesSessions { try await store.deleteSecureSessions(runId: runID) }
        } catch {
            logger.warning(
                "cannot forget a finished run's contributions", metadata: ["run": "\(runID)", "error": "\(error)"])
        }
        logger.info(
            "round ended",
            metadata: [
                "run": "\(runID)", "state": "\(failure == nil ? "completed" : "failed")", "reason": "\(failure ?? "")",
            ])
        await broadcaster.bump()
    }

    static func newRound(of round: RunRecord, number: Int, baseVersion: Int, at now: Date) -> RoundRecord {
        RoundRecord(
            runId: round.id, round: number, state: .waiting, baseVersion: baseVersion, cohort: [], deadline: nil,
            producedVersion: nil, metrics: nil, failureReason: nil, startedAt: now, endedAt: nil, contributors: nil,
            attempt: 1)
    }
}

extension RunPlan {
    /// How the run's machine times and sizes its rounds.
    var machineConfiguration: RunMachine.Configuration {
        RunMachine.Configuration(
            rounds: rounds, clients: clients, minClients: minClients, invited: invited,
            deadlineSeconds: deadlineSeconds, secureStageSeconds: secureAggregation?.stageSeconds, seed: seed,
            buffering: buffering, deviceSeconds: deviceTimeoutSeconds)
    }
}
