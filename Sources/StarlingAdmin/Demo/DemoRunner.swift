import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Runs the whole federated loop on one machine: an aggregator and `agents` agent processes on
/// loopback, the data dealt to them non-IID, a feature profile collected from them under secure
/// aggregation, a model whose preprocessing is chosen from it, `rounds` rounds with the defaults of
/// `starling run start`, a deployment of the result, and predictions served through the agents'
/// local APIs, then a one-line JSON report with the centralised reference beside it.
///
/// The held-out split never reaches a device; a separate "cloud" share trains the phase-two
/// refinement model, as a cloud application's own data would.
public struct DemoRunner: Sendable {
    public let options: DemoOptions
    let output: @Sendable (String) -> Void

    public init(options: DemoOptions, output: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.output = output
    }

    /// Runs the demo and returns its report; every process it started is stopped before it returns.
    public func run(binaries: StarlingBinaries) async throws(AdminError) -> DemoReport {
        try binaries.check()
        let split = try DemoSplit.load(options)
        let workDirectory = try makeWorkDirectory()
        let fleet = DemoFleet(workDirectory: workDirectory, binaries: binaries)
        output("work folder: \(workDirectory.path)")
        var server: ThrowAwayPostgreSQL?
        let result: Result<DemoReport, AdminError>
        do throws(AdminError) {
            var database = options.database
            if options.replicas > 1, ReplicaCluster.locateHAProxy() == nil {
                throw .configuration("a demo of replicas needs HAProxy: apt-get install haproxy")
            }
            if options.replicas > 1, database == nil {
                let started = try ThrowAwayPostgreSQL.start(logs: workDirectory)
                output("PostgreSQL for the replicas at \(started.url)")
                (server, database) = (started, started.url)
            }
            result = .success(try await runFleet(fleet, database: database, split: split))
        } catch {
            result = .failure(error)
        }
        let unclean = await fleet.stop()
        // The replicas stopped before their database.
        server?.stop(logs: workDirectory)
        if unclean.isEmpty {
            output("every process stopped cleanly")
        } else {
            output(
                "processes that did not stop cleanly: "
                    + unclean.map { "\($0.name) (status \($0.status))" }.joined(separator: ", "))
        }
        if !options.keep, case .success = result {
            try? FileManager.default.removeItem(at: workDirectory)
        }
        return try result.get()
    }

    /// Starts the aggregator, or the replicas on `database` behind HAProxy, and runs the loop.
    private func runFleet(
        _ fleet: DemoFleet, database: String?, split: DemoSplit
    ) async throws(AdminError) -> DemoReport {
        guard options.replicas > 1, let database else {
            let endpoints = try await fleet.startAggregator(minimumStatisticsDevices: min(3, options.agents)).endpoints
            output("aggregator listening on \(endpoints.url) (devices: \(endpoints.deviceUrl))")
            return try await runLoop(fleet, endpoints: endpoints, cluster: nil, split: split)
        }
        guard let haproxy = ReplicaCluster.locateHAProxy() else {
            throw .configuration("a demo of replicas needs HAProxy: apt-get install haproxy")
        }
        let cluster = try await ReplicaCluster.start(
            options.replicas, in: fleet, database: database, haproxy: haproxy,
            minimumStatisticsDevices: min(3, options.agents))
        for (index, replica) in cluster.replicas.enumerated() {
            output("replica \(index) listening on \(replica.endpoints.url) (devices: \(replica.endpoints.deviceUrl))")
        }
        let leader = try await cluster.leaderThroughBalancer(timeout: .seconds(30))
        output(
            "HAProxy on \(cluster.endpoints.url) (devices: \(cluster.endpoints.deviceUrl)) sends every client to the leader, \(leader.replica) (epoch \(leader.epoch))"
        )
        return try await runLoop(fleet, endpoints: cluster.endpoints, cluster: cluster, split: split)
    }

    private func runLoop(
        _ fleet: DemoFleet, endpoints: AggregatorEndpoints, cluster: ReplicaCluster?, split: DemoSplit
    ) async throws(AdminError) -> DemoReport {
        let admin = try AdminClient(connection: try fleet.adminConnection(to: endpoints))
        do {
            let report = try await runLoop(fleet, admin: admin, endpoints: endpoints, cluster: cluster, split: split)
            await admin.shutdown()
            return report
        } catch {
            await admin.shutdown()
            throw error
        }
    }

    private func runLoop(
        _ fleet: DemoFleet, admin: AdminClient, endpoints: AggregatorEndpoints, cluster: ReplicaCluster?,
        split: DemoSplit
    ) async throws(AdminError) -> DemoReport {
        let (agentURLs, shares) = try await startAgents(fleet, admin: admin, endpoints: endpoints, split: split)
        let modelName = "demo"
        try await collectProfile(admin, name: modelName, split: split)
        let created = try await admin.createModel(
            split.modelRequest(
                name: modelName, architecture: options.architecture, seed: options.seed, profile: modelName))
        let initial = try await bundle(admin, model: modelName, version: created.version)
        output(
            "model \(modelName) v\(created.version) created (\(options.architecture)), preprocessing from profile \(modelName): \(initial.manifest.preprocessing.summary)"
        )
        try await registerRefinementModel(
            admin, split: split, name: "\(modelName)-cloud", preprocessing: initial.manifest.preprocessing)

        let finalVersion = try await train(admin, model: modelName, split: split, cluster: cluster)
        let finalAccuracy = try await heldOutAccuracy(admin, model: modelName, version: finalVersion, split: split)
        let centralised = try split.centralisedAccuracy(
            rows: split.trainingRows(of: shares), architecture: options.architecture,
            epochs: options.rounds * (options.localEpochs ?? RoundDefaults.localEpochs), seed: options.seed)
        output(
            "centralised reference (\(options.architecture) trained on the devices' training rows): held-out accuracy \(Format.fixed(centralised))"
        )

        try await deploy(admin, model: modelName, version: finalVersion)
        let served = try await DemoPredictions.serve(split.test, classes: split.classes, through: agentURLs)
        output(
            "served \(served.count) held-out predictions through \(agentURLs.count) agents: accuracy \(Format.fixed(served.accuracy)), phase two \(Format.fixed(served.phase2Rate)), degraded \(Format.fixed(served.degradedRate))"
        )
        return DemoReport(
            rounds: options.rounds, finalAccuracy: finalAccuracy, centralisedAccuracy: centralised,
            phase2Rate: served.phase2Rate,
            servedAccuracy: served.accuracy, degradedRate: served.degradedRate, agents: options.agents,
            finalVersion: finalVersion)
    }

    private func startAgents(
        _ fleet: DemoFleet, admin: AdminClient, endpoints: AggregatorEndpoints, split: DemoSplit
    ) async throws(AdminError) -> (urls: [String], shares: [[Int]]) {
        let dealer = DataDealer(devices: options.agents, classes: split.classes.count)
        let shares = dealer.deal(split.devices, seed: options.seed)
        var urls: [String] = []
        for (index, rows) in shares.enumerated() {
            let csv = fleet.workDirectory.appendingPathComponent("share-\(index).csv")
            try split.writeCSV(rows: rows, to: csv)
            try await fleet.ingest(agent: index, csv: csv, labelColumn: options.labelColumn)
            // Operators tag devices through their enrollment tokens; a device only adds `device.` tags.
            let token = try await admin.createEnrollmentToken(
                CreateEnrollmentTokenRequest(
                    ttlSeconds: 600, maxUses: 1,
                    tags: [Tag(key: "fleet", value: "demo"), Tag(key: "shard", value: String(index))]))
            urls.append(try await fleet.startAgent(index, endpoints: endpoints, token: token.token, tags: []))
            let favoured = dealer.dominantClasses(of: index)
            let share =
                Double(rows.filter { favoured.contains(split.devices.labels[$0]) }.count) / Double(max(rows.count, 1))
            let names = favoured.sorted().map { split.classes[$0] }.joined(separator: " ")
            output(
                "agent \(index): \(rows.count) samples, \(Int((share * 100).rounded()))% of them in classes \(names)")
        }
        let expected = options.agents
        _ = try await AdminError.wait(
            "\(expected) agents to come online", timeout: .seconds(60), interval: .milliseconds(200)
        ) {
            let online = (try? await admin.devices())?.filter(\.online).count ?? 0
            return online >= expected ? online : nil
        }
        return (urls, shares)
    }

    /// Collects the devices' feature profile under secure aggregation.
    private func collectProfile(_ admin: AdminClient, name: String, split: DemoSplit) async throws(AdminError) {
        let started = try await admin.collectStatistics(
            CollectStatisticsRequest(
                name: name, width: split.featureNames.count, minDevices: min(3, options.agents), deadlineSeconds: 60,
                seed: options.seed))
        let finished = try await RunWatcher(client: admin, runId: started.id).follow { _, _ throws(AdminError) in }
        guard finished.state == .completed, let profile = finished.profile else {
            throw .failed(
                "the statistics run \(finished.id) \(finished.state.rawValue): \(finished.failureReason ?? "no profile was made")"
            )
        }
        output(
            "feature profile \(profile.name) v\(profile.version) collected from \(finished.rounds.last?.updatesReceived ?? 0) agents under secure aggregation"
        )
    }

    private func registerRefinementModel(
        _ admin: AdminClient, split: DemoSplit, name: String, preprocessing: Preprocessing
    ) async throws(AdminError) {
        let bundle = try split.trainRefinementModel(name: name, seed: options.seed, preprocessing: preprocessing)
        let imported = try await admin.importModel(safetensors: bundle.encoded(), name: name)
        _ = try await admin.setRefinement(RefinementSettings(model: name, version: imported.version))
        let accuracy = Trainer.accuracy(of: bundle.model, on: split.test, preprocessing: bundle.manifest.preprocessing)
        output(
            "refinement model \(name) (\(bundle.manifest.architecture)) trained on the cloud share: held-out accuracy \(Format.fixed(accuracy))"
        )
    }

    /// Trains the model federated; with replicas, kills the leading one once the first round made its
    /// version, and reports the takeover.
    private func train(
        _ admin: AdminClient, model: String, split: DemoSplit, cluster: ReplicaCluster?
    ) async throws(AdminError) -> Int {
        let request = StartRunRequest(
            model: model, clients: options.agents, minClients: max(1, (options.agents * 3) / 4),
            localEpochs: options.localEpochs, learningRate: options.learningRate, batchSize: options.batchSize,
            rounds: options.rounds, deadlineSeconds: 60, seed: options.seed, privacy: options.privacy)
        let started = try await admin.startRun(request)
        output("run \(started.id) started: \(options.rounds) rounds, \(options.agents) clients")
        var failover = cluster.map { _ in options.rounds > 1 } ?? false
        let finished = try await RunWatcher(client: admin, runId: started.id).follow {
            run, rounds throws(AdminError) in
            for round in rounds {
                var line = RunWatcher.roundLine(round, of: run)
                if let version = round.producedVersion {
                    let accuracy = try await heldOutAccuracy(admin, model: model, version: version, split: split)
                    line += ", held-out accuracy \(Format.fixed(accuracy))"
                }
                output(line)
                if failover, let cluster, round.producedVersion != nil {
                    failover = false
                    try await killLeader(of: cluster)
                }
            }
        }
        guard finished.state == .completed, let version = finished.rounds.last?.producedVersion else {
            throw .failed(
                "the federated run \(finished.id) \(finished.state.rawValue): \(finished.failureReason ?? "no version was produced")"
            )
        }
        return version
    }

    /// Kills the leading replica with SIGKILL and waits for another to lead behind the balancer.
    private func killLeader(of cluster: ReplicaCluster) async throws(AdminError) {
        guard let (index, status) = await cluster.leaders().first else { return }
        output("killing replica \(index), the leader (\(status.replica), epoch \(status.epoch)), with SIGKILL")
        cluster.replicas[index].process.killAbruptly()
        let next = try await cluster.leaderThroughBalancer(other: status.replica, timeout: .seconds(60))
        output("\(next.replica) took the lead (epoch \(next.epoch)) and the run goes on")
    }

    private func deploy(_ admin: AdminClient, model: String, version: Int) async throws(AdminError) {
        let deployment = try await admin.deploy(CreateDeploymentRequest(model: model, version: version, selector: .all))
        let expected = options.agents
        let done = try await AdminError.wait(
            "deployment \(deployment.id) to reach every agent", timeout: .seconds(60), interval: .milliseconds(100)
        ) {
            guard let status = try? await admin.deployment(id: deployment.id),
                status.counts.installed + status.counts.failed >= expected
            else { return nil as DeploymentInfo? }
            return status
        }
        output(
            "deployment \(done.id): \(model) v\(version) installed on \(done.counts.installed), failed on \(done.counts.failed)"
        )
        guard done.counts.failed == 0 else {
            throw .failed("deployment \(done.id) failed on \(done.counts.failed) agents")
        }
    }

    private func heldOutAccuracy(_ admin: AdminClient, model: String, version: Int, split: DemoSplit)
        async throws(AdminError) -> Double
    {
        let bundle = try await bundle(admin, model: model, version: version)
        return Trainer.accuracy(of: bundle.model, on: split.test, preprocessing: bundle.manifest.preprocessing)
    }

    private func bundle(_ admin: AdminClient, model: String, version: Int) async throws(AdminError) -> ModelBundle {
        let bytes = try await admin.weights(model: model, version: version)
        do {
            return try ModelBundle(decoding: bytes)
        } catch {
            throw .failed("version \(version) of \(model) is not a valid model bundle: \(error)")
        }
    }

    private func makeWorkDirectory() throws(AdminError) -> URL {
        let folder =
            options.workDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "starling-demo-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .configuration("cannot create the work folder \(folder.path)")
        }
        return folder
    }
}
