import Foundation
import Logging
import ServiceLifecycle
import StarlingAdmin
import StarlingAgent
import StarlingProtocol

/// How fast an all-at-once rollout reaches the fleet: the time from `starling deploy` (the admin
/// API call) until every connected agent has installed the new version and reported it, for agent
/// processes and for agents running in this process (the same client code: `AgentRuntime` with its
/// watch, installer and local API, one per device, each enrolled over TLS with its own store). The
/// aggregator is the real release binary. Each fleet first installs v1, then the clock runs for v2.
struct RolloutBenchmark {
    var quick: Bool

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-rollout-bench-\(UUID().uuidString.prefix(8))")
        let fleet = DemoFleet(workDirectory: work, binaries: StarlingBinaries.locate())
        try fleet.binaries.check()
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            let endpoints = try await fleet.startAggregator().endpoints
            let admin = try AdminClient(connection: try fleet.adminConnection(to: endpoints))
            do {
                try await measure(fleet: fleet, endpoints: endpoints, admin: admin, work: work)
            } catch {
                await admin.shutdown()
                throw error
            }
            await admin.shutdown()
        } catch {
            await fleet.stop()
            throw error
        }
        await fleet.stop()
    }

    private func measure(fleet: DemoFleet, endpoints: AggregatorEndpoints, admin: AdminClient, work: URL) async throws {
        _ = try await admin.createModel(CreateModelRequest(name: "fleet", architecture: "64-32-10", seed: 1))
        let weights = try await admin.weights(model: "fleet", version: 1)
        for _ in 0..<4 { _ = try await admin.importModel(safetensors: weights, name: "fleet") }

        let processes = 10
        let token = try await admin.createEnrollmentToken(
            CreateEnrollmentTokenRequest(maxUses: processes, tags: [Tag(key: "kind", value: "process")]))
        for index in 0..<processes {
            _ = try await fleet.startAgent(index, endpoints: endpoints, token: token.token, tags: [])
        }
        let processSelector = DeviceSelector.tags([Tag(key: "kind", value: "process")])
        try await waitOnline(processes, admin: admin)
        _ = try await rollout(version: 1, to: processSelector, count: processes, admin: admin)
        let processSeconds = try await rollout(version: 2, to: processSelector, count: processes, admin: admin)
        BenchLine(
            "rollout", "deploy_to_serving_10_processes", processSeconds, "s",
            note: "starling deploy (all) of a 64-32-10 version until 10 agent processes installed and reported it"
        ).emit()
        for index in 0..<processes { _ = await fleet.processes.member(named: "agent-\(index)")?.terminate() }

        let agents = quick ? 100 : 1_000
        let seconds = try await inProcess(agents, endpoints: endpoints, admin: admin, work: work)
        BenchLine(
            "rollout", "deploy_to_serving_\(agents)_in_process", seconds, "s",
            note:
                "starling deploy (all) until \(agents) in-process agents installed and reported it; target < 2 s for 1,000"
        ).emit()
    }

    /// Starts `count` agents in this process, rolls v3 then v4 out to them, and returns v4's time.
    private func inProcess(_ count: Int, endpoints: AggregatorEndpoints, admin: AdminClient, work: URL) async throws
        -> Double
    {
        let logger = Self.quietLogger()
        let token = try await admin.createEnrollmentToken(
            CreateEnrollmentTokenRequest(maxUses: count, tags: [Tag(key: "kind", value: "in-process")]))
        let configurations = (0..<count).map { index in
            AgentConfiguration(
                aggregatorURL: endpoints.url, caFile: URL(fileURLWithPath: endpoints.caCertificate),
                enrollToken: .text(token.token),
                dataDirectory: work.appendingPathComponent("in-process-\(index)"), apiHost: "127.0.0.1", apiPort: 0,
                socketPath: nil, tags: [], refineTimeout: .milliseconds(100), seed: UInt64(index))
        }
        var runtimes: [AgentRuntime] = []
        for batch in stride(from: 0, to: count, by: 16) {
            try await withThrowingTaskGroup(of: AgentRuntime.self) { group in
                for configuration in configurations[batch..<min(count, batch + 16)] {
                    group.addTask { try await AgentRuntime.start(configuration, logger: logger) }
                }
                for try await runtime in group { runtimes.append(runtime) }
            }
        }
        let group = ServiceGroup(services: runtimes.flatMap(\.services), logger: logger)
        return try await withThrowingTaskGroup(of: Double?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            let selector = DeviceSelector.tags([Tag(key: "kind", value: "in-process")])
            try await waitOnline(count, admin: admin, kind: "in-process")
            _ = try await rollout(version: 3, to: selector, count: count, admin: admin)
            let seconds = try await rollout(version: 4, to: selector, count: count, admin: admin)
            await group.triggerGracefulShutdown()
            var result = seconds
            while let value = try await tasks.next() { if let value { result = value } }
            return result
        }
    }

    private static func quietLogger() -> Logger {
        var logger = Logger(label: "bench-agent")
        logger.logLevel = .critical
        return logger
    }

    /// How often the deployment's counts are read while the clock runs: often enough to add at most
    /// 20 ms to a figure, seldom enough that the reading does not load the aggregator it measures.
    static let pollInterval = Duration.milliseconds(20)

    /// Seconds from the deploy call until `count` devices report `version` installed.
    private func rollout(version: Int, to selector: DeviceSelector, count: Int, admin: AdminClient) async throws
        -> Double
    {
        let start = ContinuousClock.now
        let deployment = try await admin.deploy(
            CreateDeploymentRequest(model: "fleet", version: version, selector: selector))
        while true {
            let info = try await admin.deployment(id: deployment.id)
            if info.counts.installed >= count { break }
            guard ContinuousClock.now - start < .seconds(120) else {
                let running = try await admin.devices().filter { $0.runningModel == "fleet@\(version)" }.count
                throw AdminError.failed(
                    "\(running) devices say they run version \(version); "
                        + "the rollout of version \(version) reached \(info.counts.installed) of \(count) devices in 120 s "
                        + "(\(info.counts.failed) failed, \(info.counts.pending) pending, state \(info.state.rawValue))"
                )
            }
            try await Task.sleep(for: Self.pollInterval)
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// Waits until `count` devices (of `kind`, when given) hold a watch.
    private func waitOnline(_ count: Int, admin: AdminClient, kind: String? = nil) async throws {
        let start = ContinuousClock.now
        while true {
            let online = try await admin.devices().filter { device in
                device.online && (kind.map { value in device.tags.contains(Tag(key: "kind", value: value)) } ?? true)
            }.count
            if online >= count { return }
            guard ContinuousClock.now - start < .seconds(180) else {
                throw AdminError.failed("only \(online) of \(count) agents came online")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
