import Foundation
import Logging
import StarlingStorage
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Replicas sharing one PostgreSQL database elect one leader with a session-level advisory lock;
/// a leader whose session the server ends (it stalled past its idle timeout) loses the lock to
/// another replica, which raises the fencing epoch, and from then on the stalled leader's
/// coordination writes are refused, whatever it still believes. Desired-state changes reach the
/// watches held on the other replicas through LISTEN/NOTIFY. Runs against `make test`'s server.
final class LeadershipTests: XCTestCase {
    private let logger = Logger(label: "test.leadership")

    func test_aStalledLeader_losesTheLead_andItsRunWritesAreRefusedAfterAnotherReplicaTookOver() async throws {
        let server = try PostgreSQLTestSchema()
        let first = try PostgreSQLEngine(url: server.url)
        let second = try PostgreSQLEngine(url: server.url)
        try await first.write { db in try PostgreSQLSchema.migrate(db) }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await first.write { db in
            try db.execute(
                """
                INSERT INTO runs (id, kind, model, state, plan, createdAt, machineRevision)
                VALUES ('rnd-fenced', 'train', 'm', 'running', '{}', ?, 0)
                """, now)
        }

        // The first replica takes the lead at start-up, then stalls: it never sends on its
        // session again, so the server ends the session after the idle timeout.
        let stalled = Leadership(replica: "replica-stalled")
        let stalledSession = try XCTUnwrap(
            try LeaderElection.start(engine: first, leadership: stalled, idleTimeout: .seconds(1), at: now))
        XCTAssertEqual(stalled.epoch, 1, "the first replica found no leader and leads")

        let takingOver = Leadership(replica: "replica-next")
        let session = try LeaderElection.start(
            engine: second, leadership: takingOver, idleTimeout: .seconds(5), at: now)
        XCTAssertFalse(takingOver.isLeader, "the lock is held: the second replica follows")
        let led = LeadCount()
        let election = LeaderElection(
            engine: second, leadership: takingOver, session: session, interval: .milliseconds(100),
            idleTimeout: .seconds(5), clock: { now }, onLead: [{ await led.add() }], onLoss: [], logger: logger)
        let running = Task { try await election.run() }
        defer { running.cancel() }

        _ = try await Wait.until("the second replica to take the lead", timeout: .seconds(30)) {
            let handedOver = await led.count > 0
            return takingOver.isLeader && handedOver ? true : nil
        }
        XCTAssertEqual(takingOver.epoch, 2, "taking the lead raised the epoch")
        let leads = await led.count
        XCTAssertEqual(leads, 1, "the coordinators were handed the lead once")
        XCTAssertEqual(stalled.epoch, 1, "the stalled replica has not noticed: it still believes it leads")

        let machine = RunMachine(
            configuration: .init(
                rounds: 1, clients: 2, minClients: 2, invited: 2, deadlineSeconds: 60, secureStageSeconds: nil,
                seed: 7),
            baseVersion: 1, startedAt: now)
        do {
            try await first.write { db in
                try RunStore.write(machine, of: "rnd-fenced", roundState: .running, fence: stalled, in: db)
            }
            XCTFail("the stalled leader's write of a run went through")
        } catch let error as APIError {
            XCTAssertEqual(error.code, .notLeader)
        }
        let untouched = try await second.read { db in
            try db.exists("SELECT 1 FROM runs WHERE id = 'rnd-fenced' AND machine IS NULL")
        }
        XCTAssertTrue(untouched, "nothing of the refused write is stored")

        let wrote = try await second.write { db in
            try RunStore.write(machine, of: "rnd-fenced", roundState: .running, fence: takingOver, in: db)
        }
        XCTAssertTrue(wrote, "the new leader's write goes through")
        let holder = try await second.read { db in try db.row("SELECT holder FROM leadership")?.text("holder") }
        XCTAssertEqual(holder, "replica-next")

        do {
            try await stalledSession.ping()
            XCTFail("the stalled replica's session is still open")
        } catch {
            XCTAssertEqual(error.kind, .unavailable, "the server ended the stalled replica's session: \(error)")
        }
        running.cancel()
        _ = try? await running.value
        await stalledSession.close()
        try await first.close()
        try await second.close()
        try await server.drop()
    }

    func test_aChangeOnOneReplica_wakesAWatchHeldOnAnother() async throws {
        try await withRelayedReplicas { here, there in
            let held = await there.current
            let herePrevious = await here.current
            let woken = Task { await there.waitForChange(from: held, timeout: .seconds(60)) }
            _ = try await Wait.until("the watch to be held", timeout: .seconds(30)) {
                await there.waiterCount == 1 ? true : nil
            }
            await here.bump()
            let revision = await woken.value
            XCTAssertNotEqual(revision, held, "the watch held on the other replica woke with a new revision")
            let hereNow = await here.current
            XCTAssertEqual(
                hereNow, "here.\(Int(herePrevious.split(separator: ".")[1])! + 1)",
                "a replica does not wake itself twice for its own change")
        }
    }

    func test_progressOnOneReplica_wakesAReplyWaitingOnAnother_butNotItsWatches() async throws {
        try await withRelayedReplicas { here, there in
            let (held, mark) = (await there.current, await there.currentProgress)
            let watch = Task { await there.waitForChange(from: held, timeout: .seconds(60)) }
            let reply = Task { await there.waitForProgress(from: mark, timeout: .seconds(60)) }
            _ = try await Wait.until("a watch and a reply to wait", timeout: .seconds(30)) {
                let (watches, replies) = (await there.waiterCount, await there.progressWaiterCount)
                return watches == 1 && replies == 1 ? true : nil
            }
            await here.progressed()
            let progress = await reply.value
            XCTAssertGreaterThan(progress, mark, "the reply waiting on the other replica woke")
            let (watches, revision) = (await there.waiterCount, await there.current)
            XCTAssertEqual(watches, 1, "the watch held on the other replica is still held")
            XCTAssertEqual(revision, held)
            watch.cancel()
        }
    }

    /// Two replicas' broadcasters joined by their relays through one PostgreSQL database, once both
    /// listen.
    private func withRelayedReplicas(
        _ body: (_ here: RevisionBroadcaster, _ there: RevisionBroadcaster) async throws -> Void
    ) async throws {
        let server = try PostgreSQLTestSchema()
        let engine = try PostgreSQLEngine(url: server.url)
        try await engine.write { db in try PostgreSQLSchema.migrate(db) }
        let here = RevisionBroadcaster(bootID: "here")
        let there = RevisionBroadcaster(bootID: "there")
        let relays = [
            RevisionRelay(
                engine: engine, broadcaster: here, replica: "replica-here", retryInterval: .milliseconds(100),
                logger: logger),
            RevisionRelay(
                engine: engine, broadcaster: there, replica: "replica-there", retryInterval: .milliseconds(100),
                logger: logger),
        ]
        let running = relays.map { relay in Task { try await relay.run() } }
        defer { for task in running { task.cancel() } }

        // Each relay wakes its watches once it listens: from then on no notification is missed.
        _ = try await Wait.until("both replicas to listen", timeout: .seconds(30)) {
            let (hereNow, thereNow) = (await here.current, await there.current)
            return hereNow != "here.0" && thereNow != "there.0" ? true : nil
        }
        let outcome: Result<Void, any Error>
        do {
            try await body(here, there)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for task in running { task.cancel() }
        for task in running { _ = try? await task.value }
        try await engine.close()
        try await server.drop()
        try outcome.get()
    }
}

/// How many times the coordinators were handed the lead.
private actor LeadCount {
    private(set) var count = 0
    func add() { count += 1 }
}
