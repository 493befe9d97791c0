import Foundation
import StarlingAdmin
import StarlingProtocol
import StarlingStorage
import StarlingTestSupport
import StarlingTransport
import XCTest

/// Three aggregator processes share one PostgreSQL database behind HAProxy on loopback, and 20
/// real agents train through it, their connections spread over all three replicas, each of which
/// sums the updates it takes. One replica leads (the others answer 503 `not_leader` on
/// `/v1/leader`, which HAProxy's health check of the public listener asks); killed with SIGKILL in
/// the middle of a round,
/// its lock goes with its session, another replica takes the lead with a newer epoch within seconds,
/// takes the run over from the database (with the updates the dead one had accepted, whose files
/// went with it), and the run completes with one version per round. Runs against `make test`'s
/// PostgreSQL and Debian's HAProxy.
final class ReplicaFailoverTests: XCTestCase {
    func test_theLeaderKilledMidRun_anotherReplicaTakesOver_andTheRunCompletes() async throws {
        guard let server = ProcessInfo.processInfo.environment["STARLING_TEST_POSTGRES_URL"], !server.isEmpty else {
            throw XCTSkip("no PostgreSQL server: run through `make test` (STARLING_TEST_POSTGRES_URL)")
        }
        guard let haproxy = ReplicaCluster.locateHAProxy() else {
            throw XCTSkip("HAProxy is not installed: `make test-deps` installs it")
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("starling-it-failover-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fleet = DemoFleet(workDirectory: folder, binaries: StarlingBinaries.locate())
        try fleet.binaries.check()
        addTeardownBlock {
            await fleet.stop()
            try? FileManager.default.removeItem(at: folder)
        }

        let schema = "failover_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let cluster = try await ReplicaCluster.start(
            3, in: fleet, database: "\(server)?schema=\(schema)", haproxy: haproxy,
            options: ["--round-deadline", "120"])
        let first = try await cluster.leaderThroughBalancer(timeout: .seconds(30))
        let leading = await cluster.leaders()
        XCTAssertEqual(leading.map(\.status), [first], "exactly one replica leads, the one behind the balancer")
        guard let leaderIndex = leading.first?.index else { return }

        let admin = try AdminClient(connection: try fleet.adminConnection(to: cluster.endpoints))
        addTeardownBlock { await admin.shutdown() }
        _ = try await admin.createModel(CreateModelRequest(name: "shared", architecture: "64-32-10", seed: 3))
        let agents = 20
        for index in 0..<agents {
            let csv = try TestData.digitsSlice(index * 60..<(index + 1) * 60, in: folder, name: "slice-\(index).csv")
            try await fleet.ingest(agent: index, csv: csv, labelColumn: "label")
            let enrollment = try await admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1, tags: []))
            _ = try await fleet.startAgent(index, endpoints: cluster.endpoints, token: enrollment.token, tags: [])
        }
        _ = try await Wait.until("\(agents) devices online", timeout: .seconds(60), interval: .milliseconds(200)) {
            let online = (try? await admin.devices())?.filter(\.online).count ?? 0
            return online >= agents ? true : nil
        }
        let database = try PostgreSQLEngine(url: "\(server)?schema=\(schema)")
        addTeardownBlock { try? await database.close() }
        let watchedOn = try await Wait.until("every replica to store heartbeats", timeout: .seconds(30)) {
            let replicas = try? await database.read { db in
                try db.integer("SELECT COUNT(DISTINCT seenBy) FROM devices WHERE seenBy IS NOT NULL")
            }
            return (replicas ?? 0) >= 3 ? replicas : nil
        }
        XCTAssertEqual(watchedOn, 3, "the balancer spreads the agents' connections over the three replicas")

        let rounds = 4
        let run = try await admin.startRun(
            StartRunRequest(
                model: "shared", clients: agents, minClients: 15, localEpochs: 1, rounds: rounds,
                deadlineSeconds: 120, seed: 5, secureAggregation: false))
        _ = try await Wait.until("round 2 to have updates", timeout: .seconds(120), interval: .milliseconds(50)) {
            guard let info = try? await admin.run(id: run.id),
                info.rounds.contains(where: { $0.round >= 2 && $0.state == .running && $0.updatesReceived > 0 })
            else { return nil as Bool? }
            return true
        }
        let summing = try await database.read { [id = run.id] db in
            try db.integer("SELECT COUNT(DISTINCT replica) FROM roundPartialSums WHERE runId = ?", id)
        }
        XCTAssertGreaterThan(summing, 1, "more than one replica sums the updates it takes")
        // The leader dies with updates of the open round accepted, and its machine's files with it:
        // the next leader has only the database.
        cluster.replicas[leaderIndex].process.killAbruptly()
        try FileManager.default.removeItem(at: fleet.replicaDirectory(leaderIndex).appendingPathComponent("updates"))

        let next = try await cluster.leaderThroughBalancer(other: first.replica, timeout: .seconds(30))
        XCTAssertGreaterThan(next.epoch, first.epoch, "the new leader raised the fencing epoch")
        let nowLeading = await cluster.leaders()
        XCTAssertEqual(nowLeading.map(\.status), [next], "one surviving replica leads")

        let finished = try await Wait.until("the run to end", timeout: .seconds(300)) {
            guard let info = try? await admin.run(id: run.id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.map(\.round), Array(1...rounds))
        let produced = try await admin.versions(model: "shared").filter { $0.lineage.runId == run.id }
        XCTAssertEqual(
            produced.compactMap(\.lineage.round).sorted(), Array(1...rounds), "every round registered one version")
    }
}
