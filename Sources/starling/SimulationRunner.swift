import Foundation
import Logging
import StarlingAdmin
import StarlingAgent
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(Glibc)
    import CMalloc
#endif

/// `starling simulate`: a real aggregator process on loopback, N devices of the agent in this
/// process (``FleetSimulation``), each enrolled with its own certificate, and a training run whose
/// rounds are timed from the aggregator's own records.
struct SimulationRunner {
    let settings: SimulationSettings
    let say: @Sendable (String) -> Void
    let report: @Sendable (SimulatedRound) -> Void

    func run(binaries: StarlingBinaries) async throws(AdminError) {
        try binaries.check(agentToo: false)
        let descriptors = DescriptorLimit.raise()
        // The aggregator's device listener may hold what its public listener leaves of the limit.
        guard descriptors >= connections + 1_024,
            ConnectionLimits.deviceListenerBudget(otherListeners: 1) >= connections
        else {
            throw .configuration(
                "\(settings.devices) simulated devices need more open files than the limit here allows (\(descriptors), ulimit -Hn)"
            )
        }
        SimulatorHeap.keepFreedBuffers()
        let work: URL
        do {
            work =
                try settings.workDirectory
                ?? FileManager.default.url(
                    for: .itemReplacementDirectory, in: .userDomainMask, appropriateFor: URL(fileURLWithPath: "/tmp"),
                    create: true)
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw .failed("cannot make the work folder: \(error)")
        }
        let fleet = DemoFleet(workDirectory: work, binaries: binaries)
        let result: Result<Void, AdminError>
        do throws(AdminError) {
            try await simulate(fleet)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await fleet.stop()
        if settings.keep || settings.workDirectory != nil {
            say("work folder: \(work.path)")
        } else {
            try? FileManager.default.removeItem(at: work)
        }
        try result.get()
    }

    private func simulate(_ fleet: DemoFleet) async throws(AdminError) {
        let endpoints = try await fleet.startAggregator(
            options: ["--max-connections", String(connections)] + (settings.http2 ? ["--device-http2"] : [])
        ).endpoints
        let admin = try AdminClient(connection: try fleet.adminConnection(to: endpoints))
        let result: Result<Void, AdminError>
        do throws(AdminError) {
            try await simulate(admin: admin, endpoints: endpoints)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await admin.shutdown()
        try result.get()
    }

    private func simulate(admin: AdminClient, endpoints: AggregatorEndpoints) async throws(AdminError) {
        let table: CSVTable
        do {
            table = try CSVTable.load(contentsOf: settings.data, labelColumn: settings.labelColumn)
        } catch {
            throw .failed("cannot read \(settings.data.path): \(error)")
        }
        let labels = Array(Set(table.labels)).sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }
        let scaling = Standardization.fit(features: table.features, featureCount: table.featureNames.count)
        _ = try await admin.createModel(
            CreateModelRequest(
                name: "simulated", architecture: settings.architecture, labels: labels,
                featureMean: scaling.mean.map(Double.init), featureStd: scaling.std.map(Double.init),
                seed: settings.seed))
        let token = try await admin.createEnrollmentToken(
            CreateEnrollmentTokenRequest(ttlSeconds: 86_400, maxUses: settings.devices))
        let caPEM: String
        do {
            caPEM = try String(contentsOfFile: endpoints.caCertificate, encoding: .utf8)
        } catch {
            throw .failed("cannot read the aggregator's CA certificate: \(error)")
        }
        var logger = Logger(label: "starling.simulate")
        logger.logLevel = .error
        let clock = ContinuousClock()
        let enrolling = clock.now
        let (rows, perDevice) = (Self.rows(of: table), settings.rowsPerDevice)
        let devices: FleetSimulation
        do {
            devices = try await FleetSimulation.enroll(
                count: settings.devices, aggregatorURL: endpoints.url, caPEM: caPEM, token: token.token,
                dropout: SimulatedDropout(rate: settings.dropout, seed: settings.seed)
            ) { index in
                let start = index * perDevice
                let mine = (0..<perDevice).map { rows[(start + $0) % rows.count] }
                let evalCount = max(1, perDevice / 4)
                return FleetSimulation.Rows(
                    train: Array(mine.dropFirst(evalCount)), eval: Array(mine.prefix(evalCount)))
            }
        } catch {
            throw .failed("the simulated devices cannot enroll: \(error)")
        }
        say(
            "\(settings.devices) devices enrolled in \(Format.fixed(Self.seconds(enrolling.duration(to: clock.now)), digits: 1)) s"
        )
        let running = Task { await devices.run(logger: logger) }
        let outcome: Result<Void, AdminError>
        do throws(AdminError) {
            _ = try await AdminError.wait(
                "every simulated device to watch", timeout: .seconds(60 + settings.devices / 20),
                interval: .milliseconds(100)
            ) { devices.devicesWatching >= settings.devices ? true : nil }
            try await train(admin, fleet: devices)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        running.cancel()
        await running.value
        await devices.shutdown()
        try outcome.get()
    }

    /// Starts the run and reports each round as it ends.
    private func train(_ admin: AdminClient, fleet: FleetSimulation) async throws(AdminError) {
        let secure = settings.secureAggregation
        let run = try await admin.startRun(
            StartRunRequest(
                model: "simulated", clients: settings.devices, minClients: max(1, settings.devices / 2),
                localEpochs: 1, learningRate: 0.05, batchSize: 16, rounds: settings.rounds,
                deadlineSeconds: settings.deadlineSeconds, seed: settings.seed, secureAggregation: secure,
                secureAggregationGroupSize: secure ? settings.groupSize : nil,
                secureAggregationStageSeconds: secure ? settings.stageSeconds : nil,
                secureAggregationQuietSeconds: secure ? settings.quietSeconds : nil))
        let clock = ContinuousClock()
        var reported = 0
        var roundStart = clock.now
        var figures = AggregatorFigures(
            metrics: try await patiently { () throws(AdminError) in
                try await admin.metricsText()
            })
        while true {
            let info = try await patiently { () throws(AdminError) in try await admin.run(id: run.id) }
            for round in info.rounds.sorted(by: { $0.round < $1.round }) where round.round > reported {
                guard round.endedAt != nil else { break }
                let seconds = Self.seconds(roundStart.duration(to: clock.now))
                roundStart = clock.now
                let now = AggregatorFigures(
                    metrics: try await patiently { () throws(AdminError) in
                        try await admin.metricsText()
                    })
                let spent = now.since(figures)
                figures = now
                var stages = spent.stageSeconds
                if !stages.isEmpty { stages["finish"] = max(0, seconds - stages.values.reduce(0, +)) }
                report(
                    SimulatedRound(
                        devices: settings.devices, round: round.round, state: round.state.rawValue, seconds: seconds,
                        survivors: round.updatesReceived, vanished: fleet.vanishing(round: round.round), stages: stages,
                        requests: spent.deviceRequests)
                )
                reported = round.round
            }
            if info.state.isFinal {
                guard info.state == .completed else {
                    throw .failed(
                        "the simulated run ended \(info.state.rawValue): \(info.failureReason ?? "no reason given")")
                }
                return
            }
            do {
                // Reading a run decodes its rounds' cohorts: every 50 ms at 1,000 devices, less
                // often for fleets whose rounds take minutes.
                try await Task.sleep(for: .milliseconds(max(50, settings.devices / 50)))
            } catch {
                throw .failed("the simulation was cancelled")
            }
        }
    }

    /// An admin read while a round runs, asked again when it times out: a fleet of thousands of
    /// devices answering at once can keep the aggregator from answering one request in time without
    /// anything being wrong. Gives up after the round deadline.
    private func patiently<T>(_ read: () async throws(AdminError) -> T) async throws(AdminError) -> T {
        let giveUp = ContinuousClock.now + .seconds(settings.deadlineSeconds)
        while true {
            do {
                return try await read()
            } catch {
                guard case .unreachable = error, ContinuousClock.now < giveUp else { throw error }
            }
        }
    }

    /// The connections the fleet holds, here and at the aggregator, with room for the admin's: one
    /// a device over HTTP/2 (its watch, its round's long polls and its uploads are streams of it),
    /// up to two over HTTP/1.1 (its watch and its round's long poll).
    private var connections: Int { settings.devices * (settings.http2 ? 1 : 2) + 256 }

    private static func rows(of table: CSVTable) -> [LabelledSample] {
        let width = table.featureNames.count
        return table.labels.indices.map { row in
            LabelledSample(
                features: Array(table.features[(row * width)..<((row + 1) * width)]), label: table.labels[row])
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// glibc malloc for a process of many simulated devices: the 400 kB vectors of every round are
/// carved from one heap and kept when freed, instead of being mapped afresh (and zeroed by the
/// kernel, page by page) for each device. One arena: the threads' own arenas hand whole heaps back
/// to the kernel once a round frees them, so the next round faulted its memory in again (a tenth
/// of the process's time at 1,000 devices). 32 MiB is the largest mapping threshold glibc takes
/// (half its heap size); it ignores a larger one and keeps mapping every block above 128 KiB.
enum SimulatorHeap {
    static func keepFreedBuffers() {
        #if canImport(Glibc)
            mallopt(M_ARENA_MAX, 1)
            mallopt(M_MMAP_THRESHOLD, 32 << 20)
            mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }
}

/// The process's limit on open files, raised as far as it may go: a simulated fleet holds a
/// connection or two per device, and the aggregator it starts inherits the limit.
enum DescriptorLimit {
    /// Raises the limit as far as the process may, and returns the limit then in force.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        var wanted = limit
        wanted.rlim_max = max(limit.rlim_max, 1 << 20)
        wanted.rlim_cur = wanted.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &wanted) != 0 {
            wanted = limit
            wanted.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &wanted) != 0 { wanted = limit }
        }
        return wanted.rlim_cur >= rlim_t(Int32.max) ? Int(Int32.max) : Int(wanted.rlim_cur)
    }
}
