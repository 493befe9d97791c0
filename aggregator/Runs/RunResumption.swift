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

    /// Takes up every unfinished run but those in `skipping` (runs this process drives already).
    static func load(
        engine: any StorageEngine, catalog: ModelCatalog, leadership: Leadership, at now: Date,
        skipping: Set<String> = []
    ) throws -> Resumed {
        var resumed = Resumed()
        let stored = try engine.readBlocking { db in try StoredRun.unfinished(skipping: skipping, in: db) }
        for entry in stored {
            var machine = entry.machine
            var actions = machine.restarted(at: now)
            actions += machine.replay(entry.reports, at: now)
            var round = entry.round
            round.attempt = machine.attempt
            round.deadline = machine.collectionDeadline ?? round.deadline
            let (architecture, readable) = entry.architecture(catalog)
            if !readable { actions = machine.abandon(reason: "its base version \(machine.baseVersion) cannot be read") }
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
