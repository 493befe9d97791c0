import Foundation
import NIOPosix
import StarlingProtocol
import StarlingStorage

/// Replicas sharing one PostgreSQL database all take devices' and admins' traffic; only the leader
/// drives runs. A replica that does not lead serves the runs as the leader last wrote them
/// (``followed``): it hands out their tasks, admits contributions and failure reports against the
/// stored machine in the transaction that stores them (``RunStore/admitStored(_:runId:round:dialect:in:)``),
/// adds training updates to its own partial sum, and records runs admins start through it (secure
/// sessions: `RunCoordinator+SecureReplicas.swift`). The leader catches up with all of that
/// (``synchronize()``): it takes up the runs started elsewhere and replays the reports stored
/// elsewhere into its machines, soon after another replica announces a change and at least every
/// sync interval.
extension RunCoordinator {
    /// A run as this replica serves it: the one it drives while it leads, else the stored copy.
    func current(_ runId: String) -> ActiveRun? {
        store.leadership.isLeader ? runs[runId] : followed[runId]
    }

    /// On a replica that does not lead, reads the runs again when its copy would not take
    /// `device`'s answer for `round`: the device may have had its task from a replica that read
    /// the leader's newer writes first.
    func catchUpUnlessItAdmits(runId: String, round: Int, device: String) async {
        guard !store.leadership.isLeader else { return }
        if let run = followed[runId], run.machine.round == round || run.machine.grants[device]?.round == round,
            run.machine.admission(of: device) == .accepted
        {
            return
        }
        await followStoredRuns()
    }

    /// Catches up with what the other replicas did (see the extension's comment).
    func synchronize() async {
        guard store.leadership.isLeader else { return await followStoredRuns() }
        guard drivesRuns else { return }
        await takeUpRunsStartedElsewhere()
        await replayReportsStoredElsewhere()
        await takeStoredMessages()
    }

    /// Reads the unfinished runs as the leader last wrote them, with the views of their secure
    /// sessions, and wakes the requests waiting here when anything changed: the change that
    /// woke this replica may have come before it read what changed.
    func followStoredRuns() async {
        let (engine, catalog) = (store.engine, catalog)
        followReads += 1
        let read = followReads
        do {
            let stored = try await NIOThreadPool.singleton.runIfActive {
                try engine.readBlocking { db in try StoredRun.unfinished(skipping: [], withReports: false, in: db) }
                    .map { entry in (entry, entry.architecture(catalog).0) }
            }
            let secureRuns = Set(stored.filter { $0.0.run.plan.secureAggregation != nil }.map(\.0.run.id))
            let published = try await store.secureViews(of: secureRuns, known: viewRevisions)
            // A read that started before the one applied last is older than it: it is dropped.
            guard !store.leadership.isLeader, read > appliedFollowRead else { return }
            appliedFollowRead = read
            var changed = Set(published.keys) != Set(viewRevisions.keys)
            for (id, (revision, view)) in published {
                guard let view else { continue }
                views[id] = view
                viewRevisions[id] = revision
                changed = true
            }
            views = views.filter { published[$0.key] != nil }
            viewRevisions = viewRevisions.filter { published[$0.key] != nil }
            var runs: [String: ActiveRun] = [:]
            for (entry, architecture) in stored {
                var run = ActiveRun(
                    record: entry.run, round: entry.round, machine: entry.machine, architecture: architecture,
                    digests: entry.digests)
                run.markDurable(entry.machine)
                for session in [RunMachine.roundSession] + entry.machine.secureGroups.groups.map(\.id) {
                    guard let key = sessionKey(run, session: session),
                        let view = views[SecureViewID(runId: key.runId, round: key.round, session: session)]
                    else { continue }
                    run.views[session] = view
                }
                changed = changed || followed[entry.run.id]?.machine.revision != entry.machine.revision
                runs[entry.run.id] = run
            }
            let offersMore =
                Set(runs.keys) != Set(followed.keys)
                || runs.contains { id, run in
                    followed[id].map { !Self.offered(by: run).isSubset(of: Self.offered(by: $0)) } ?? true
                }
            changed = changed || offersMore
            followed = runs
            // A stage closing (published views, tasks leaving the cohort's desired state) changes
            // nothing a device acts on, as on the leader: it wakes only what waits for progress.
            if offersMore {
                await broadcaster.peerChanged()
            } else if changed {
                await broadcaster.peerProgressed()
            }
        } catch {
            // A read cut short by the aggregator stopping is no failure.
            guard !Task.isCancelled else { return }
            logger.warning("cannot read the runs the leader drives", metadata: ["error": "\(error)"])
        }
    }

    /// A task a followed run can hand out, and whether its secure session's part is published.
    private struct OfferedTask: Hashable {
        let task: RunMachine.TaskKey
        let session: Int?
    }

    /// The tasks a followed run can hand out: those of its written machine, and each secure
    /// session's published device tasks.
    private static func offered(by run: ActiveRun) -> Set<OfferedTask> {
        Set(run.durableTasks.map { OfferedTask(task: $0, session: nil) }).union(
            run.views.flatMap { session, view in
                view.tasks.keys.map { device in
                    OfferedTask(task: .init(device: device, round: view.round, attempt: view.attempt), session: session)
                }
            })
    }

    /// Takes up the unfinished runs recorded through other replicas, as a takeover would.
    private func takeUpRunsStartedElsewhere() async {
        let (engine, catalog, leadership, now, held) = (store.engine, catalog, store.leadership, clock(), held)
        do {
            let unfinished = try await engine.reading { db in
                try db.rows(SQLStatement("SELECT id FROM runs WHERE state IN ('waiting', 'running')"))
                    .map { try $0.text("id") }
            }
            guard unfinished.contains(where: { !held.contains($0) }) else { return }
            let resumed = try await NIOThreadPool.singleton.runIfActive {
                try RunResumption.load(
                    engine: engine, catalog: catalog, leadership: leadership, at: now, skipping: held)
            }
            guard store.leadership.isLeader else { return }
            for (id, run) in resumed.runs where !self.held.contains(id) {
                self.held.insert(id)
                runs[id] = run
                logger.info("run started through another replica taken up", metadata: ["run": "\(id)"])
            }
            for (run, action) in resumed.actions { await perform(action, runID: run) }
        } catch  where !Task.isCancelled {
            logger.warning("cannot take up the runs started elsewhere", metadata: ["error": "\(error)"])
        } catch {
            return
        }
    }

    /// Feeds every run's machine the contributions and failure reports stored for its round (a
    /// secure round's failure reports only), those other replicas admitted among them; what this
    /// replica is storing right now is left to its own request. A buffered secure run's groups
    /// take failure reports from the leader alone.
    private func replayReportsStoredElsewhere() async {
        for (id, run) in runs where !run.machine.isGrouped && !run.machine.isFinished {
            let round = run.machine.round
            let reports: StoredReports
            do {
                reports = try await store.reports(runId: id, round: round)
            } catch {
                guard !Task.isCancelled else { return }
                logger.warning("cannot read a round's stored reports", metadata: ["run": "\(id)", "error": "\(error)"])
                continue
            }
            let inFlight = inFlight
            var others = reports
            others.updates.removeAll { inFlight.contains(Self.key(id, round, $0.device)) }
            others.failures.removeAll { inFlight.contains(Self.key(id, round, $0.device)) }
            let now = clock()
            await handle(id) { machine -> [RunMachine.Action] in
                guard machine.round == round else { return [] }
                return machine.replay(others, at: now)
            }
        }
    }
}
