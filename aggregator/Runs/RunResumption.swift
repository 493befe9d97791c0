import Foundation
import GRDB
import StarlingCore
import StarlingProtocol

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

    static func load(pool: DatabasePool, catalog: ModelCatalog, at now: Date) throws -> Resumed {
        var resumed = Resumed()
        var stored: [Stored] = []
        try pool.read { db in
            let runs = try RunRecord.filter(["waiting", "running"].contains(Column("state"))).fetchAll(db)
            for run in runs {
                guard let machine = run.machine,
                    let round = try RoundRecord.fetchOne(
                        db, key: ["runId": run.id, "round": machine.round])
                else { continue }
                let current = Column("runId") == run.id && Column("round") == machine.round
                let updates = try RoundUpdateRecord.filter(current).order(Column("receivedAt")).fetchAll(db)
                let failures = try RoundFailureRecord.filter(current).order(Column("reportedAt")).fetchAll(db)
                let bases =
                    run.kind == .statistics
                    ? []
                    : Set(
                        machine.grants.values.map(\.baseVersion) + machine.secureGroups.groups.map(\.baseVersion)
                            + [machine.baseVersion])
                let versions = try bases.compactMap { version in
                    try ModelVersionRecord.fetchOne(db, key: ["model": run.model, "version": version])
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
            try pool.write { db in
                try RunStore.write(machine, of: entry.run.id, roundState: state, in: db)
                try round.save(db)
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
