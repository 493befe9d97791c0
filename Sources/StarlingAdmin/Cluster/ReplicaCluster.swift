import Foundation
import StarlingProtocol
import StarlingTransport

/// Aggregator replicas on loopback that share one PostgreSQL database, behind HAProxy: the first
/// makes the keys and certificates, the others take a copy (``DemoFleet/sharePKI(withReplica:)``),
/// each tells enrolling devices the balancer's device port, and the balancer sends every
/// connection to the replica that leads. Clients use ``endpoints`` as they would one aggregator's.
public struct ReplicaCluster: Sendable {
    public let replicas: [RunningAggregator]
    /// The balancer's public and device URLs, with the replicas' shared CA certificate.
    public let endpoints: AggregatorEndpoints

    /// Where Debian's HAProxy is, if installed.
    public static func locateHAProxy() -> URL? {
        let paths =
            ["/usr/sbin/haproxy"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/haproxy" }
        return paths.first { FileManager.default.isExecutableFile(atPath: $0) }.map(URL.init(fileURLWithPath:))
    }

    /// Starts `count` replicas on `database` (`options` added to each command line), then HAProxy
    /// in front of them, and waits until the balancer reaches the leader.
    public static func start(
        _ count: Int, in fleet: DemoFleet, database: String, haproxy: URL, minimumStatisticsDevices: Int = 3,
        options: [String] = []
    ) async throws(AdminError) -> ReplicaCluster {
        let (publicPort, devicePort) = (try LoopbackPort.unused(), try LoopbackPort.unused())
        let arguments = ["--database", database, "--device-url", "https://127.0.0.1:\(devicePort)"] + options
        var replicas: [RunningAggregator] = []
        for index in 0..<count {
            if index > 0 { try fleet.sharePKI(withReplica: index) }
            replicas.append(
                try await fleet.startAggregator(
                    replica: index, minimumStatisticsDevices: minimumStatisticsDevices, options: arguments))
        }
        let configuration = fleet.workDirectory.appendingPathComponent("haproxy.cfg")
        do {
            try HAProxyConfiguration(
                publicPort: publicPort, devicePort: devicePort, replicas: replicas.map(\.endpoints)
            ).text.write(to: configuration, atomically: true, encoding: .utf8)
        } catch {
            throw .failed("cannot write \(configuration.path): \(error)")
        }
        await fleet.processes.add(
            try ManagedProcess(
                name: "haproxy", executable: haproxy, arguments: ["-db", "-f", configuration.path],
                logFile: fleet.workDirectory.appendingPathComponent("haproxy.log"), stopSignal: SIGUSR1))
        let cluster = ReplicaCluster(
            replicas: replicas,
            endpoints: AggregatorEndpoints(
                url: "https://127.0.0.1:\(publicPort)", deviceUrl: "https://127.0.0.1:\(devicePort)",
                caCertificate: replicas[0].endpoints.caCertificate, pid: replicas[0].endpoints.pid))
        _ = try await cluster.leaderThroughBalancer(timeout: .seconds(30))
        return cluster
    }

    /// The leader's status as the balancer answers it, waiting up to `timeout` for one.
    public func leaderThroughBalancer(
        other than: String? = nil, timeout: Duration
    ) async throws(AdminError) -> LeaderStatus {
        let client = try client(endpoints.url)
        let answer: Result<LeaderStatus, AdminError>
        do {
            answer = .success(
                try await AdminError.wait("a replica to lead behind the balancer", timeout: timeout) {
                    guard let status = try? await client.get(APIPath.leader) as LeaderStatus, status.replica != than
                    else { return nil }
                    return status
                })
        } catch {
            answer = .failure(error)
        }
        await client.shutdown()
        return try answer.get()
    }

    /// The replicas that answer 200 on `/v1/leader`, asked directly, by position; a replica that
    /// cannot be asked is not leading.
    public func leaders() async -> [(index: Int, status: LeaderStatus)] {
        var leading: [(index: Int, status: LeaderStatus)] = []
        for (index, replica) in replicas.enumerated() where replica.process.isRunning {
            if let status = await leaderStatus(of: replica.endpoints.url) { leading.append((index, status)) }
        }
        return leading
    }

    /// What the replica at `url` answers on `/v1/leader`; nil unless 200.
    private func leaderStatus(of url: String) async -> LeaderStatus? {
        guard let client = try? client(url) else { return nil }
        let status: LeaderStatus?
        do {
            status = try await client.get(APIPath.leader)
        } catch {
            status = nil
        }
        await client.shutdown()
        return status
    }

    private func client(_ url: String) throws(AdminError) -> StarlingHTTPClient {
        do {
            let pem = try String(contentsOfFile: endpoints.caCertificate, encoding: .utf8)
            return StarlingHTTPClient(baseURL: url, tls: try TLSConfigurations.client(trusting: pem, identity: nil))
        } catch {
            throw .configuration("cannot read the replicas' CA certificate \(endpoints.caCertificate): \(error)")
        }
    }
}
