import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import StarlingProtocol
import StarlingStorage

/// Every deployment's rollout, and from them what model each device should run.
///
/// A deployment is a ``RolloutMachine`` over the devices its selector picks: the service feeds it
/// the devices' reports and clock ticks, performs its actions (a changed assignment bumps the watch
/// revision, so devices learn at once) and records its history. A device runs the version of the
/// newest deployment that has assigned it (a pinned deployment holding it wins over newer ones), the
/// version it had before if that deployment reverted it, and otherwise whatever an older deployment
/// gave it. A completed deployment also covers devices that enroll later and match its selector.
///
/// Machines live in memory and are written to the database on every transition, at shutdown,
/// and, when only reports changed them, at most every ``reportSnapshotSeconds``: reports are
/// stored as they arrive and replayed into the machine after a restart, so a machine written
/// before its latest reports loses none of them.
///
/// Among replicas only the leader ticks rollouts, and every write of a machine is fenced by its
/// epoch; a replica that becomes leader loads them afresh (``takeOver()``).
actor Rollouts: Service {
    let engine: any StorageEngine
    let leadership: Leadership
    let catalog: ModelCatalog
    let aliases: ModelAliases
    let devices: DeviceRegistry
    let broadcaster: RevisionBroadcaster
    let clock: @Sendable () -> Date
    let tickInterval: Duration
    let logger: Logger
    /// Stores reports: a rollout's reports arrive in bursts.
    private let reportWriter: GroupCommit
    /// How often, in seconds of the injected clock, a machine changed only by reports is written.
    static let reportSnapshotSeconds: TimeInterval = 5
    private var lastSnapshot: Date
    /// Oldest first. The catalog holds the row of every version they name.
    var rollouts: [Rollout]
    /// The reports fed to the live rollouts, by deployment and device, by when they were made (in
    /// milliseconds): what the leader finds newer in the database another replica stored.
    var fed: [String: [String: Int64]] = [:]
    /// Whether this replica loaded the rollouts as leader (at start-up or in ``takeOver()``): until
    /// then its copies are another replica's, and it feeds them nothing.
    var drives: Bool

    init(
        engine: any StorageEngine, leadership: Leadership, catalog: ModelCatalog, aliases: ModelAliases,
        devices: DeviceRegistry, broadcaster: RevisionBroadcaster, clock: @escaping @Sendable () -> Date,
        tickInterval: Duration, logger: Logger
    ) throws {
        self.engine = engine
        self.leadership = leadership
        self.catalog = catalog
        self.aliases = aliases
        self.devices = devices
        self.broadcaster = broadcaster
        self.clock = clock
        self.tickInterval = tickInterval
        self.logger = logger
        reportWriter = GroupCommit(engine: engine)
        lastSnapshot = clock()
        (rollouts, fed) = try Self.load(engine: engine, catalog: catalog, now: lastSnapshot)
        drives = leadership.isLeader
    }

    func run() async throws {
        await PeriodicTicks.run(every: tickInterval) { await self.tick() }
        logger.debug("rollouts stopped")
        persistBeforeStopping()
    }

    // MARK: Operators

    func create(_ request: CreateDeploymentRequest) async throws(APIError) -> DeploymentInfo {
        guard (request.version == nil) != (request.alias == nil) else {
            throw .badRequest(.invalidDeployment, "name exactly one of version and alias")
        }
        let version: Int
        if let alias = request.alias {
            version = try await aliases.resolve(model: request.model, alias: alias)
        } else {
            version = request.version ?? 0
        }
        return try await start(request, version: version, supersedes: nil).info
    }

    func info(id: String) throws(APIError) -> DeploymentInfo { try rollout(id).info }

    /// The newest `limit` deployments, newest first.
    func recent(limit: Int) -> [DeploymentInfo] { rollouts.suffix(limit).reversed().map(\.info) }

    /// How many deployments are in each state, and where the targets of the live ones stand.
    func census() -> (states: [DeploymentState: Int], devices: DeploymentCounts) {
        var states: [DeploymentState: Int] = [:]
        var devices = DeploymentCounts(pending: 0, installed: 0, failed: 0)
        for rollout in rollouts {
            states[rollout.record.state, default: 0] += 1
            guard rollout.isLive else { continue }
            let counts = rollout.machine.counts
            devices.waiting += counts.notAssigned
            devices.pending += counts.pending
            devices.installed += counts.healthy
            devices.failed += counts.failed
            devices.rolledBack += counts.reverted
        }
        return (states, devices)
    }

    func events(id: String) async throws(APIError) -> DeploymentEventList {
        _ = try rollout(id)
        return try await engine.reading { db in
            let rows = try db.fetchAll(
                DeploymentEventRecord.self, "SELECT * FROM deploymentEvents WHERE deploymentId = ? ORDER BY id", id)
            return DeploymentEventList(events: rows.map { DeploymentEvent(at: $0.at, message: $0.message) })
        }
    }

    /// `pause`, `resume`, `abort` or `rollback`; 409 `deployment_state` when the rollout is not in a
    /// phase that allows it, 400 `invalid_action` for anything else.
    func act(_ action: String, id: String) async throws(APIError) -> DeploymentInfo {
        let event: RolloutMachine.Event
        switch action {
        case "pause": event = .pause
        case "resume": event = .resume
        case "abort": event = .abort
        case "rollback": event = .rollback
        default: throw .badRequest(.invalidAction, "'\(action)' is not one of pause, resume, abort, rollback")
        }
        guard let index = rollouts.firstIndex(where: { $0.record.id == id }) else {
            throw APIError.deploymentNotFound(id)
        }
        guard rollouts[index].record.state != .superseded else {
            throw .conflict(.deploymentState, "deployment \(id) was superseded and takes no more actions")
        }
        try await feed(event, to: index, refusalIsError: true)
        return rollouts[index].info
    }

    /// Moves `alias` of `model` to `version` and hands every live deployment that follows the alias
    /// to a new rollout of that version, all in one transaction: the alias, the new deployments and
    /// the old ones' `superseded` state are written together or not at all.
    func moveAlias(model: String, alias: String, to version: Int) async throws(APIError) -> ModelAlias {
        let record = try aliases.record(model: model, alias: alias, version: version)
        var successors: [(index: Int, row: DeploymentRecord)] = []
        for index in rollouts.indices {
            let rollout = rollouts[index]
            guard rollout.record.model == model, rollout.record.alias == alias, rollout.record.state != .superseded,
                rollout.tag != VersionTag(model: model, version: version).description
            else { continue }
            let policy = rollout.machine.policy
            let request = CreateDeploymentRequest(
                model: model, alias: alias, selector: rollout.record.selector, strategy: policy.strategy,
                waves: policy.waves, bakeSeconds: policy.bakeSeconds, maxFailureRate: policy.maxFailureRate,
                maxAccuracyDrop: policy.health.maxAccuracyDrop)
            successors.append((index, try await prepared(request, version: version)))
        }
        let superseded = successors.map { successor in
            var old = rollouts[successor.index].record
            old.state = .superseded
            old.reason = "alias \(alias) moved to version \(version); \(successor.row.id) took over"
            return old
        }
        let rows = successors.map(\.row)
        try await engine.writing { db in
            try ModelAliases.save(record, in: db)
            for row in rows { try db.insert(row) }
            for old in superseded {
                let changed = try db.execute(
                    "UPDATE deployments SET state = ?, reason = ? WHERE id = ?", old.state.rawValue, old.reason, old.id)
                guard changed > 0 else {
                    throw StorageError(.constraint, "deployments has no row \(old.id) to supersede")
                }
            }
        }
        for (successor, old) in zip(successors, superseded) {
            rollouts[successor.index].record.state = old.state
            rollouts[successor.index].record.reason = old.reason
            rollouts[successor.index].dirty = true
            try await log(old.reason ?? "", for: old.id)
            try await begin(successor.row, supersedes: old.id)
        }
        await persist()
        return record.info
    }

    // MARK: Devices

    /// What `device` should run now.
    func desiredModel(for device: Device) -> DesiredModel? {
        guard let (rollout, tag) = placement(of: device, excluding: nil) else { return nil }
        guard let record = catalog.loadedVersion(tag) else { return nil }
        return record.desiredModel(deployment: rollout)
    }

    /// Stores a device's report and, when it is about the version the rollout assigned it, lets the
    /// health gate judge it. Only a device the rollout targets may report to it (403 `not_targeted`),
    /// and only about a version the registry holds (400 `invalid_request` for a malformed one, 404
    /// for one the registry does not hold).
    func report(_ report: DeploymentReport, deploymentID: String, device: String) async throws(APIError)
        -> DeploymentInfo
    {
        guard let index = rollouts.firstIndex(where: { $0.record.id == deploymentID }) else {
            throw APIError.deploymentNotFound(deploymentID)
        }
        guard rollouts[index].machine.devices.contains(where: { $0.id == device }) else {
            throw APIError(.forbidden, .notTargeted, "deployment \(deploymentID) does not target this device")
        }
        let tag = VersionTag(model: report.model, version: report.version)
        try DeviceReportBounds.check(tag, field: "the reported model and version")
        _ = try await catalog.version(of: tag.model, tag.version)
        let record = DeploymentReportRecord(
            deploymentId: deploymentID, deviceId: device, state: report.state,
            message: report.message.map { String($0.prefix(1000)) }, reportedAt: clock(), health: report.health)
        try await reportWriter.write { db in try db.save(record) }
        guard leadership.isLeader else {
            // The leader feeds it to the rollout from the database.
            await broadcaster.bump()
            return rollouts[index].info
        }
        fed[deploymentID, default: [:]][device] = record.reportedAt.milliseconds
        if report.state == .installed || report.state == .rolledBack {
            devices.switched(id: device, to: VersionTag(model: report.model, version: report.version).description)
        }
        if report.state != .rolledBack,
            VersionTag(model: report.model, version: report.version).description == rollouts[index].tag
        {
            try await feed(.report(device: device, DeviceHealthReport(report)), to: index, refusalIsError: false)
        }
        return rollouts[index].info
    }

    /// This replica became leader: loads every rollout as the database has it.
    func takeOver() async {
        let (engine, catalog, now) = (engine, catalog, clock())
        do {
            (rollouts, fed) = try await NIOThreadPool.singleton.runIfActive {
                try Self.load(engine: engine, catalog: catalog, now: now)
            }
            drives = true
            lastSnapshot = now
        } catch {
            logger.error("cannot take over the rollouts", metadata: ["error": "\(error)"])
        }
        await broadcaster.bump()
    }

    /// Moves every live rollout on: new or departed targets, then the clock.
    func tick() async {
        guard leadership.isLeader, rollouts.contains(where: \.isLive) else { return }
        let now = clock()
        let fleet = devices.activeDevices()
        for index in rollouts.indices where rollouts[index].isLive {
            let targets = targets(
                of: rollouts[index].record, among: fleet, pinnedToo: rollouts[index].machine.policy.strategy == .pinned)
            if Set(targets.map(\.id)) != Set(rollouts[index].machine.devices.map(\.id)) {
                try? await feed(.devicesChanged(targets), to: index, refusalIsError: false)
            }
            try? await feed(.tick, to: index, refusalIsError: false, at: now)
        }
        if now.timeIntervalSince(lastSnapshot) >= Self.reportSnapshotSeconds {
            lastSnapshot = now
            await persist()
        }
    }
}

extension Rollouts {

    private func rollout(_ id: String) throws(APIError) -> Rollout {
        guard let rollout = rollouts.first(where: { $0.record.id == id }) else { throw APIError.deploymentNotFound(id) }
        return rollout
    }

    /// Creates and starts a deployment of `version`.
    private func start(
        _ request: CreateDeploymentRequest, version: Int, supersedes: String?
    ) async throws(APIError) -> Rollout {
        let row = try await prepared(request, version: version)
        try await engine.writing { db in try db.insert(row) }
        return try await begin(row, supersedes: supersedes)
    }

    /// The row of a new deployment of `version` with its rollout machine, checked, not yet written.
    private func prepared(_ request: CreateDeploymentRequest, version: Int) async throws(APIError) -> DeploymentRecord {
        let policy = try RolloutPolicy(request)
        _ = try await catalog.version(of: request.model, version)  // 404 for an unknown version; keeps its row
        let tag = VersionTag(model: request.model, version: version).description
        let id = Secrets.identifier(prefix: "dep-")
        let fleet = devices.activeDevices()
        var record = DeploymentRecord(
            id: id, model: request.model, version: version, selector: request.selector, createdAt: clock(),
            alias: request.alias,
            machine: nil, state: .running, reason: nil)
        do {
            record.machine = try RolloutMachine(
                policy: policy, targets: targets(of: record, among: fleet, pinnedToo: policy.strategy == .pinned),
                version: tag,
                seed: Self.seed(id))
        } catch {
            throw .badRequest(.invalidDeployment, error.description)
        }
        return record
    }

    /// Takes over a deployment whose row (with its machine) is written, and starts its rollout.
    @discardableResult
    private func begin(_ row: DeploymentRecord, supersedes: String?) async throws(APIError) -> Rollout {
        guard let machine = row.machine else { throw .internal("deployment \(row.id) has no rollout machine") }
        let tag = VersionTag(model: row.model, version: row.version).description
        rollouts.append(Rollout(record: row, machine: machine))
        try await log(
            "deployment of \(tag) to \(row.selector) created (\(machine.policy.strategy.rawValue)"
                + (supersedes.map { ", after \($0)" } ?? "") + ")", for: row.id)
        try await feed(.start, to: rollouts.count - 1, refusalIsError: true)
        logger.info("deployment created", metadata: ["deployment": "\(row.id)", "version": "\(tag)"])
        return rollouts[rollouts.count - 1]
    }

    /// The devices `record` covers: active, matching its selector, and not held by a pinned rollout
    /// (unless `pinnedToo`), each with the version it would run without `record`.
    private func targets(
        of record: DeploymentRecord, among fleet: [Device], pinnedToo includePinned: Bool
    ) -> [RolloutMachine.Target] {
        fleet.filter { record.selector.matches($0.tags) }.compactMap { device in
            let held = placement(of: device, excluding: record.id)
            if !includePinned, let held, rollouts.contains(where: { $0.record.id == held.rollout && $0.machine.pinned })
            {
                return nil
            }
            return RolloutMachine.Target(id: device.id, previousVersion: held?.tag)
        }
    }

    /// Which rollout decides what `device` runs and the version it names, ignoring `excluded`.
    private func placement(of device: Device, excluding excluded: String?) -> (rollout: String, tag: String)? {
        for rollout in rollouts.reversed() where rollout.record.id != excluded && rollout.machine.pinned {
            if let place = rollout.device(device.id), place.status.isAssigned {
                return (rollout.record.id, rollout.tag)
            }
        }
        for rollout in rollouts.reversed() where rollout.record.id != excluded {
            guard let place = rollout.device(device.id) else {
                if rollout.machine.phase == .completed, rollout.record.selector.matches(device.tags) {
                    return (rollout.record.id, rollout.tag)
                }
                continue
            }
            switch place.status {
            case .pending, .healthy, .failed: return (rollout.record.id, rollout.tag)
            case .reverted: return place.previousVersion.map { (rollout.record.id, $0) }
            case .notAssigned: continue
            }
        }
        return nil
    }

    /// Feeds `event` to rollout `index` and performs what it asks for. A refusal is a 409 when
    /// `refusalIsError`, and otherwise only logged.
    func feed(
        _ event: RolloutMachine.Event, to index: Int, refusalIsError: Bool, at time: Date? = nil
    ) async throws(APIError) {
        let now = time ?? clock()
        let actions: [RolloutMachine.Action]
        do {
            actions = try rollouts[index].handle(event, at: now)
        } catch {
            if refusalIsError { throw .conflict(.deploymentState, error.description) }
            logger.debug(
                "rollout event refused", metadata: ["deployment": "\(rollouts[index].record.id)", "reason": "\(error)"])
            return
        }
        guard !actions.isEmpty else { return }
        let id = rollouts[index].record.id
        var moved = false
        for action in actions {
            switch action {
            case .assign, .revert: moved = true
            case .log(let entry): try await log(entry.message, for: id, at: entry.time)
            case .waveStarted, .halted, .completed: break
            }
        }
        try await write(rollouts[index])
        rollouts[index].dirty = false
        if moved { await broadcaster.bump() }
    }

    private func log(_ message: String, for id: String, at time: Date? = nil) async throws(APIError) {
        let event = DeploymentEventRecord(deploymentId: id, at: time ?? clock(), message: message)
        try await engine.writing { db in try db.insert(event) }
    }

    private func write(_ rollout: Rollout) async throws(APIError) {
        var row = rollout.record
        row.machine = rollout.machine
        let record = row
        let leadership = leadership
        try await engine.writing { db in
            try leadership.fence(in: db)
            try db.update(record)
        }
    }

    /// Writes every changed machine in one blocking transaction as the service stops: a write that
    /// honoured the task's cancellation (a stop that is not graceful cancels it) would lose the last
    /// reports, and nothing else runs on the actor any more.
    private func persistBeforeStopping() {
        let changed = rollouts.indices.filter { rollouts[$0].dirty }
        // Another replica's rollouts are copies of the leader's: it writes them.
        guard !changed.isEmpty, leadership.isLeader else { return }
        let rows = changed.map { index in
            var row = rollouts[index].record
            row.machine = rollouts[index].machine
            return row
        }
        do {
            try engine.writeBlocking { db in
                try leadership.fence(in: db)
                for row in rows { try db.update(row) }
            }
            for index in changed { rollouts[index].dirty = false }
        } catch {
            logger.error("cannot record the rollouts as the aggregator stops", metadata: ["error": "\(error)"])
        }
    }

    /// Writes every machine changed since it was last written.
    private func persist() async {
        for index in rollouts.indices where rollouts[index].dirty {
            do {
                try await write(rollouts[index])
                rollouts[index].dirty = false
            } catch {
                logger.error(
                    "cannot record a rollout",
                    metadata: ["deployment": "\(rollouts[index].record.id)", "error": "\(error)"])
            }
        }
    }

    /// A stable seed from a deployment id (FNV-1a), so its canary is the same after a restart.
    private static func seed(_ id: String) -> UInt64 {
        id.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

extension Rollouts {
    /// Every deployment, oldest first. Deployments created in the same instant come in the order
    /// they started, which is the order of their first events (each logs its creation as it
    /// starts); rows from before rollouts have no events.
    private static let creationOrder = """
        SELECT deployments.* FROM deployments
        LEFT JOIN (SELECT deploymentId, MIN(id) AS firstEvent FROM deploymentEvents GROUP BY deploymentId) AS started
            ON started.deploymentId = deployments.id
        ORDER BY deployments.createdAt, COALESCE(started.firstEvent, 0), deployments.id
        """

    /// Every deployment from the database, with reports stored after its machine was last written
    /// replayed into it, and the reports replayed (``fed``); rows from before rollouts become
    /// completed `all` rollouts of their version. The rows of the versions they name are kept in
    /// `catalog`.
    static func load(
        engine: any StorageEngine, catalog: ModelCatalog, now: Date
    ) throws -> (rollouts: [Rollout], fed: [String: [String: Int64]]) {
        try engine.readBlocking { db in
            var loaded: [Rollout] = []
            var fed: [String: [String: Int64]] = [:]
            for record in try db.fetchAll(DeploymentRecord.self, Self.creationOrder) {
                let tag = VersionTag(model: record.model, version: record.version).description
                var machine: RolloutMachine
                if let stored = record.machine {
                    machine = stored
                } else {
                    let policy = RolloutPolicy(
                        strategy: .all, bakeSeconds: 0, maxFailureRate: 1, offlineAfterSeconds: 0,
                        health: .init(
                            maxAccuracyDrop: 1, maxErrorRate: 1, maxEscalationIncrease: 1, maxLatencyRatio: 1e9))
                    machine = try RolloutMachine(policy: policy, targets: [], version: tag, seed: 0)
                    _ = try? machine.handle(.start, at: record.createdAt)
                }
                var rollout = Rollout(record: record, machine: machine)
                if rollout.isLive {
                    let reports = try db.fetchAll(
                        DeploymentReportRecord.self,
                        "SELECT * FROM deploymentReports WHERE deploymentId = ? ORDER BY reportedAt, deviceId",
                        record.id)
                    for report in reports {
                        fed[record.id, default: [:]][report.deviceId] = report.reportedAt.milliseconds
                    }
                    for report in reports where report.state != .rolledBack {
                        let wire = DeploymentReport(
                            state: report.state, model: record.model, version: record.version, message: report.message,
                            health: report.health)
                        _ = try? rollout.handle(
                            .report(device: report.deviceId, DeviceHealthReport(wire)), at: report.reportedAt)
                    }
                }
                loaded.append(rollout)
                for name in Set([tag] + machine.devices.compactMap(\.previousVersion)) {
                    guard let parsed = VersionTag(name),
                        let row = try db.fetchOne(ModelVersionRecord.self, key: parsed.model, parsed.version)
                    else { continue }
                    catalog.keep(row)
                }
            }
            return (loaded, fed)
        }
    }
}
