import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// Takes up, when the aggregator starts, the runs a previous process left unfinished. Each run's
/// stored machine is told it restarted (``RunMachine/restarted(at:)``), and the contributions and
/// failure reports stored for its current round are replayed into it, so nothing a device was told
/// was accepted is lost. The machines are written back before any device is served, so a device
/// still in an earlier attempt of a secure round is told at once that it restarted.
/// (Runs recorded before machines were kept cannot be taken up; ``RunStore/failUnresumable(at:in:)``
/// marks them failed first.)
enum RunResumption {
    /// The runs taken up, and what their machines ask for first.
    struct Resumed: Sendable {
        var runs: [String: RunCoordinator.ActiveRun] = [:]
        var actions: [(run: String, action: RunMachine.Action)] = []
    }

    /// What one unfinished run left in the database.
    private struct Stored: Sendable {
        var run: RunRecord
        var machine: RunMachine
        var round: RoundRecord
        var updates: [(device: String, staleness: Int)]
        var failures: [(device: String, reason: ClientFailureReason)]
        var base: ModelVersionRecord?
        /// The digests of the versions the run's tasks start from, by version.
        var digests: [Int: String]
    }

    static func load(
        engine: any StorageEngine, catalog: ModelCatalog, leadership: Leadership, at now: Date
    ) throws -> Resumed {
        var resumed = Resumed()
        var stored: [Stored] = []
        try engine.readBlocking { db in
            let runs = try db.fetchAll(
                RunRecord.self, "SELECT * FROM runs WHERE state IN ('waiting', 'running') ORDER BY createdAt, id")
            for run in runs {
                guard let machine = run.machine,
                    let round = try db.fetchOne(RoundRecord.self, key: run.id, machine.round)
                else { continue }
                let updates = try db.fetchAll(
                    RoundUpdateRecord.self,
                    "SELECT * FROM roundUpdates WHERE runId = ? AND round = ? ORDER BY receivedAt, deviceId",
                    run.id, machine.round)
                let failures = try db.fetchAll(
                    RoundFailureRecord.self,
                    "SELECT * FROM roundFailures WHERE runId = ? AND round = ? ORDER BY reportedAt, deviceId",
                    run.id, machine.round)
                let bases =
                    run.kind == .statistics
                    ? []
                    : Set(
                        machine.grants.values.map(\.baseVersion) + machine.secureGroups.groups.map(\.baseVersion)
                            + [machine.baseVersion])
                let versions = try bases.compactMap { version in
                    try db.fetchOne(ModelVersionRecord.self, key: run.model, version)
                }
                stored.append(
                    Stored(
                        run: run, machine: machine, round: round,
                        updates: updates.map { ($0.deviceId, $0.staleness ?? 0) },
                        failures: failures.map { ($0.deviceId, $0.reason) },
                        base: versions.first { $0.version == machine.baseVersion },
                        digests: Dictionary(versions.map { ($0.version, $0.sha256) }, uniquingKeysWith: { $1 })))
            }
        }
        for entry in stored {
            var machine = entry.machine
            var actions = machine.restarted(at: now)
            if machine.isBuffered {
                for (device, staleness) in entry.updates {
                    actions += machine.bufferedContributionRestored(from: device, staleness: staleness, at: now)
                }
            } else {
                if !machine.isSecure {
                    for (device, _) in entry.updates { actions += machine.contributionStored(from: device, at: now).1 }
                }
                for (device, reason) in entry.failures {
                    actions += machine.clientFailed(device, reason: reason, at: now).1
                }
            }
            var round = entry.round
            round.attempt = machine.attempt
            round.deadline = machine.collectionDeadline ?? round.deadline
            var architecture: ModelArchitecture?
            if entry.run.kind != .statistics {
                if let base = entry.base, let bundle = try? catalog.bundle(base) {
                    architecture = bundle.manifest.architecture
                } else {
                    actions = machine.abandon(reason: "its base version \(machine.baseVersion) cannot be read")
                }
            }
            let state: RoundState = machine.cohort.isEmpty ? entry.run.state : .running
            try engine.writeBlocking { db in
                try RunStore.write(machine, of: entry.run.id, roundState: state, fence: leadership, in: db)
                try db.save(round)
            }
            var run = entry.run
            run.state = state
            var active = RunCoordinator.ActiveRun(
                record: run, round: round, machine: machine, architecture: architecture,
                digests: entry.digests)
            active.markDurable(machine)
            resumed.runs[run.id] = active
            resumed.actions += actions.map { (run.id, $0) }
        }
        return resumed
    }
}
