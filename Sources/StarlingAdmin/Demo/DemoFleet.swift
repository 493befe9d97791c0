import Foundation
import StarlingProtocol

/// The processes of a demo: one aggregator and its agents on loopback, each in its own data folder.
///
/// - Important: call ``stop()`` on every path out; it terminates every process the fleet started.
public struct DemoFleet: Sendable {
    public let workDirectory: URL
    public let binaries: StarlingBinaries
    public let processes = ProcessGroup()

    public init(workDirectory: URL, binaries: StarlingBinaries) {
        self.workDirectory = workDirectory
        self.binaries = binaries
    }

    public var aggregatorDirectory: URL { replicaDirectory(0) }

    /// The data folder of aggregator replica `index`: `aggregator` for the first (the only one of a
    /// one-process fleet), `aggregator-<index>` for the others.
    public func replicaDirectory(_ index: Int) -> URL {
        workDirectory.appendingPathComponent(index == 0 ? "aggregator" : "aggregator-\(index)")
    }

    /// Gives replica `index` the first replica's keys and certificates (`pki/`), so that every
    /// replica serves the same server certificate, trusts the same device CA and signs versions with
    /// the same key. Call it after the first replica started and before replica `index` starts.
    public func sharePKI(withReplica index: Int) throws(AdminError) {
        let source = aggregatorDirectory.appendingPathComponent("pki")
        let target = replicaDirectory(index).appendingPathComponent("pki")
        do {
            let files = FileManager.default
            try files.createDirectory(at: replicaDirectory(index), withIntermediateDirectories: true)
            try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: replicaDirectory(index).path)
            if files.fileExists(atPath: target.path) { try files.removeItem(at: target) }
            try files.copyItem(at: source, to: target)
        } catch {
            throw .failed("cannot give replica \(index) the first replica's keys: \(error)")
        }
    }

    public func agentDirectory(_ index: Int) -> URL {
        workDirectory.appendingPathComponent("agent-\(index)")
    }

    /// Starts the aggregator (replica `replica` of several sharing one database) on loopback ports
    /// the system picks and waits until it listens. `minimumStatisticsDevices` lowers the statistics
    /// floor for fleets smaller than its default.
    public func startAggregator(
        replica: Int = 0, minimumStatisticsDevices: Int = 3, options: [String] = []
    ) async throws(AdminError) -> RunningAggregator {
        let folder = replicaDirectory(replica)
        let name = folder.lastPathComponent
        let process = try ManagedProcess(
            name: name, executable: binaries.aggregator,
            arguments: [
                "serve", "--data-dir", folder.path,
                "--listen", "127.0.0.1:0", "--device-listen", "127.0.0.1:0",
                "--min-statistics-devices", String(minimumStatisticsDevices),
            ] + options,
            logFile: workDirectory.appendingPathComponent("\(name).log"))
        await processes.add(process)
        let endpoints = try await AdminError.wait(
            "the aggregator to listen (log: \(process.logFile.path))", timeout: .seconds(60)
        ) {
            guard process.isRunning else { return nil as AggregatorEndpoints? }
            guard let endpoints = try? AggregatorEndpoints.read(from: folder),
                endpoints.pid == process.processIdentifier
            else { return nil }
            return endpoints
        }
        return RunningAggregator(endpoints: endpoints, process: process)
    }

    /// The admin connection to the fleet's aggregator: its CA and the admin token it wrote on its first run.
    public func adminConnection(to endpoints: AggregatorEndpoints) throws(AdminError) -> AdminConnection {
        AdminConnection(
            url: endpoints.url,
            caCertificatePEM: try AdminConnection.readText(
                URL(fileURLWithPath: endpoints.caCertificate), what: "CA certificate"),
            token: try AdminConnection.readText(
                aggregatorDirectory.appendingPathComponent("admin.token"), what: "admin token"
            )
            .trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Loads a CSV into agent `index`'s local store with `starling-agent ingest`.
    public func ingest(agent index: Int, csv: URL, labelColumn: String) async throws(AdminError) {
        let process = try ManagedProcess(
            name: "ingest-\(index)", executable: binaries.agent,
            arguments: [
                "ingest", "--data-dir", agentDirectory(index).path, "--csv", csv.path, "--label", labelColumn,
            ],
            logFile: workDirectory.appendingPathComponent("ingest-\(index).log"))
        let status = await process.waitForExit(timeout: .seconds(120))
        guard status == 0 else {
            throw .failed("ingesting \(csv.lastPathComponent) into agent \(index) failed: \(process.logTail(lines: 3))")
        }
    }

    /// Starts agent `index`, enrolling with `token` (handed over in `STARLING_ENROLL_TOKEN`, so it
    /// never shows in `ps`) and asking for `tags` on itself (only `device.` tags are allowed; the
    /// token carries the operator's), with `options` added to its command line, and returns its local
    /// API URL once it listens.
    public func startAgent(
        _ index: Int, endpoints: AggregatorEndpoints, token: String, tags: [Tag], options: [String] = []
    ) async throws(AdminError) -> String {
        let directory = agentDirectory(index)
        var arguments = [
            "run", "--aggregator", endpoints.url, "--ca", endpoints.caCertificate,
            "--data-dir", directory.path, "--api", "127.0.0.1:0",
        ]
        for tag in tags { arguments += ["--tag", tag.description] }
        arguments += options
        let process = try ManagedProcess(
            name: "agent-\(index)", executable: binaries.agent, arguments: arguments,
            environment: ["STARLING_ENROLL_TOKEN": token],
            logFile: workDirectory.appendingPathComponent("agent-\(index).log"))
        await processes.add(process)
        return try await AdminError.wait(
            "agent \(index) to listen (log: \(process.logFile.path))", timeout: .seconds(60)
        ) {
            guard process.isRunning else { return nil as String? }
            return AgentEndpoints.read(from: directory)?.apiUrl
        }
    }

    /// Stops every process, agents first; returns those that did not exit cleanly.
    @discardableResult
    public func stop() async -> [(name: String, status: Int32)] { await processes.terminateAll() }
}

/// An aggregator process and the endpoints it listens on.
public struct RunningAggregator: Sendable {
    public let endpoints: AggregatorEndpoints
    public let process: ManagedProcess
}

extension AgentEndpoints {
    /// Reads `agent.json` from an agent's data folder; nil until the agent listens.
    public static func read(from folder: URL) -> AgentEndpoints? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("agent.json").path) else {
            return nil
        }
        return try? StarlingJSON.decoder().decode(AgentEndpoints.self, from: data)
    }
}
