import Foundation
import NIOSSL
import StarlingAdmin
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

/// Three aggregator processes share one PostgreSQL database behind HAProxy on loopback, and 20
/// real agents train through it. One replica leads (the others answer 503 `not_leader` on
/// `/v1/leader`, which HAProxy's health check asks); killed with SIGKILL in the middle of a round,
/// its lock goes with its session, another replica takes the lead with a newer epoch within seconds,
/// takes the run over from the database (with the updates the dead one had accepted, whose files
/// went with it), and the run completes with one version per round. Runs against `make test`'s PostgreSQL and Debian's HAProxy.
final class ReplicaFailoverTests: XCTestCase {
    private static let haproxy = URL(fileURLWithPath: "/usr/sbin/haproxy")

    func test_theLeaderKilledMidRun_anotherReplicaTakesOver_andTheRunCompletes() async throws {
        guard let server = ProcessInfo.processInfo.environment["STARLING_TEST_POSTGRES_URL"], !server.isEmpty else {
            throw XCTSkip("no PostgreSQL server: run through `make test` (STARLING_TEST_POSTGRES_URL)")
        }
        guard FileManager.default.isExecutableFile(atPath: Self.haproxy.path) else {
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

        // The balancer's two ports, then three replicas that tell enrolling devices its device port.
        let (publicPort, devicePort) = (try LoopbackPort.unused(), try LoopbackPort.unused())
        let schema = "failover_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let options = [
            "--database", "\(server)?schema=\(schema)", "--device-url", "https://127.0.0.1:\(devicePort)",
            "--round-deadline", "120",
        ]
        var replicas = [try await fleet.startAggregator(replica: 0, options: options)]
        for index in 1..<3 {
            try fleet.sharePKI(withReplica: index)
            replicas.append(try await fleet.startAggregator(replica: index, options: options))
        }
        let caPath = replicas[0].endpoints.caCertificate
        let caPEM = try String(contentsOfFile: caPath, encoding: .utf8)
        let tls = try TLSConfigurations.client(trusting: caPEM, identity: nil)
        let direct = replicas.map { StarlingHTTPClient(baseURL: $0.endpoints.url, tls: tls) }
        addTeardownBlock { for client in direct { await client.shutdown() } }

        let configuration = folder.appendingPathComponent("haproxy.cfg")
        try HAProxyConfiguration(
            publicPort: publicPort, devicePort: devicePort, replicas: replicas.map(\.endpoints)
        ).text.write(to: configuration, atomically: true, encoding: .utf8)
        await fleet.processes.add(
            try ManagedProcess(
                name: "haproxy", executable: Self.haproxy, arguments: ["-db", "-f", configuration.path],
                logFile: folder.appendingPathComponent("haproxy.log")))
        let balancer = StarlingHTTPClient(baseURL: "https://127.0.0.1:\(publicPort)", tls: tls)
        addTeardownBlock { await balancer.shutdown() }
        let first = try await Wait.until("the balancer to reach the leader", timeout: .seconds(30)) {
            try? await balancer.get(APIPath.leader) as LeaderStatus
        }
        let leading = try await Self.leaders(direct)
        XCTAssertEqual(leading.count, 1, "exactly one replica leads: \(leading)")
        guard let leaderIndex = leading.first?.index else { return }

        let token = try String(
            contentsOf: fleet.aggregatorDirectory.appendingPathComponent("admin.token"), encoding: .utf8
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try AdminClient(
            connection: AdminConnection(url: "https://127.0.0.1:\(publicPort)", caCertificatePEM: caPEM, token: token))
        addTeardownBlock { await admin.shutdown() }
        _ = try await admin.createModel(CreateModelRequest(name: "shared", architecture: "64-32-10", seed: 3))

        let agents = 20
        let endpoints = AggregatorEndpoints(
            url: "https://127.0.0.1:\(publicPort)", deviceUrl: "https://127.0.0.1:\(devicePort)",
            caCertificate: caPath, pid: 0)
        for index in 0..<agents {
            let csv = try TestData.digitsSlice(index * 60..<(index + 1) * 60, in: folder, name: "slice-\(index).csv")
            try await fleet.ingest(agent: index, csv: csv, labelColumn: "label")
            let enrollment = try await admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1, tags: []))
            _ = try await fleet.startAgent(index, endpoints: endpoints, token: enrollment.token, tags: [])
        }
        _ = try await Wait.until("\(agents) devices online", timeout: .seconds(60), interval: .milliseconds(200)) {
            let online = (try? await admin.devices())?.filter(\.online).count ?? 0
            return online >= agents ? true : nil
        }

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
        // The leader dies with updates of the open round accepted, and its machine's files with it:
        // the next leader has only the database.
        replicas[leaderIndex].process.killAbruptly()
        try FileManager.default.removeItem(at: fleet.replicaDirectory(leaderIndex).appendingPathComponent("updates"))

        let next = try await Wait.until("another replica to lead", timeout: .seconds(30)) {
            guard let status = try? await balancer.get(APIPath.leader) as LeaderStatus,
                status.replica != first.replica
            else { return nil as LeaderStatus? }
            return status
        }
        XCTAssertGreaterThan(next.epoch, first.epoch, "the new leader raised the fencing epoch")
        let survivors = direct.enumerated().filter { $0.offset != leaderIndex }.map(\.element)
        let nowLeading = try await Self.leaders(survivors)
        XCTAssertEqual(nowLeading.count, 1, "one surviving replica leads: \(nowLeading)")

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

    /// The replicas that answer 200 on `/v1/leader`, with their position.
    private static func leaders(_ replicas: [StarlingHTTPClient]) async throws -> [(index: Int, status: LeaderStatus)] {
        var leading: [(index: Int, status: LeaderStatus)] = []
        for (index, replica) in replicas.enumerated() {
            if let status = try? await replica.get(APIPath.leader) as LeaderStatus { leading.append((index, status)) }
        }
        return leading
    }
}

/// HAProxy in front of aggregator replicas: TLS passes through (devices present their client
/// certificates to the aggregator itself), and only the replica whose `/v1/leader` answers 200
/// takes connections, so a takeover moves every client to the new leader.
private struct HAProxyConfiguration {
    let publicPort: Int
    let devicePort: Int
    let replicas: [AggregatorEndpoints]

    var text: String {
        let ports = replicas.map { (public: Self.port($0.url), device: Self.port($0.deviceUrl)) }
        let check = """
                option httpchk
                http-check send meth GET uri /v1/leader ver HTTP/1.1 hdr Host 127.0.0.1
                http-check expect status 200
                default-server check check-ssl verify none inter 250ms fall 1 rise 1 on-marked-down shutdown-sessions
            """
        return """
            global
                maxconn 2000
            defaults
                mode tcp
                timeout connect 2s
                timeout client 5m
                timeout server 5m
            frontend public
                bind 127.0.0.1:\(publicPort)
                default_backend replicas_public
            frontend devices
                bind 127.0.0.1:\(devicePort)
                default_backend replicas_devices
            backend replicas_public
            \(check)
            \(ports.enumerated().map { "    server r\($0.offset) 127.0.0.1:\($0.element.public)" }.joined(separator: "\n"))
            backend replicas_devices
            \(check)
            \(ports.enumerated().map { "    server r\($0.offset) 127.0.0.1:\($0.element.device) port \($0.element.public)" }.joined(separator: "\n"))

            """
    }

    private static func port(_ url: String) -> Int { URLComponents(string: url)?.port ?? 0 }
}
