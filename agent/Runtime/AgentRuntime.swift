import Logging
import ServiceLifecycle
import StarlingProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A started agent, ready to run: identity loaded (or enrolled), store open, the model of the active
/// (else the previous) slot restored, local API bound and announced in `agent.json`. The executable
/// runs ``services`` in a `ServiceGroup`, in the order given (the HTTP client first, so it stops last).
public struct AgentRuntime: Sendable {
    public let deviceId: String
    /// `http://127.0.0.1:PORT` of the local API.
    public let apiURL: String
    public let services: [any Service]

    public static func start(_ configuration: AgentConfiguration, logger: Logger) async throws(AgentError)
        -> AgentRuntime
    {
        let paths = AgentPaths(dataDirectory: configuration.dataDirectory)
        let store = try AgentStore(path: paths.database)
        let identity = try await Enrollment.loadOrEnroll(
            paths: paths, aggregatorURL: configuration.aggregatorURL, caFile: configuration.caFile,
            token: configuration.enrollToken, tags: configuration.tags, logger: logger)
        let verifier = try VersionVerifier(publicKeyBase64: identity.signingPublicKey)
        let client = try identity.makeDeviceClient()
        let slot = ModelSlot()
        let work = BlockingWork()
        do {
            if let installed = try await ModelInstaller.restore(paths: paths, store: store, work: work, logger: logger)
            {
                slot.install(installed)
                logger.info(
                    "loaded installed model",
                    metadata: ["model": "\(installed.tag)", "sha256_int8": "\(installed.sha256Int8)"])
            }
        } catch {
            logger.warning(
                "cannot load the installed model; waiting for a deployment", metadata: ["reason": "\(error)"])
        }
        let connection = ConnectionState()
        let counters = try await CounterLedger.load(from: store)
        let metrics = AgentMetrics()
        let monitor = PredictionMonitor(settings: configuration.monitoring, clock: CoarseClock.now)
        let writer = MonitorWriter(monitor: monitor, store: store)
        let experiments = ExperimentSlot(seed: configuration.seed ?? UInt64.random(in: 0...UInt64.max))
        let shadows = ShadowRunner(monitor: monitor, logger: logger)
        let predictor = TwoPhasePredictor(
            slot: slot, refiner: AggregatorRefiner(client: client), refineTimeout: configuration.refineTimeout,
            counters: counters, metrics: metrics, monitor: configuration.monitoring.enabled ? monitor : nil,
            experiments: experiments, shadows: shadows, logger: logger)
        let ledger = PrivacyLedger(store: store, budget: configuration.privacyBudget)
        let router = LocalAPIRouter(
            deviceId: identity.deviceId, predictor: predictor, store: store, counters: counters, slot: slot,
            connection: connection, privacy: ledger, metrics: metrics,
            monitoring: Monitoring(
                monitor: monitor, writer: writer, store: store, slot: slot, experiments: experiments))
        let server: LocalAPIServer
        do {
            server = try await LocalAPIServer.bind(
                host: configuration.apiHost, port: configuration.apiPort, socketPath: configuration.socketPath,
                responder: router, logger: logger)
            try AgentEndpoints(apiUrl: server.url, deviceId: identity.deviceId, socketPath: configuration.socketPath)
                .write(to: paths)
        } catch {
            await client.shutdown()
            await work.shutdown()
            throw error
        }
        let monitorUpload = MonitorUploadPolicy()
        var reporting: [any Service] = []
        if configuration.monitoring.enabled, configuration.monitoring.reportSeconds > 0 {
            reporting.append(
                MonitorReporter(
                    client: client, store: store, policy: monitorUpload,
                    interval: .seconds(configuration.monitoring.reportSeconds),
                    logger: logger))
        }
        let (tasks, taskSink) = AsyncStream.makeStream(of: RoundTask.self, bufferingPolicy: .unbounded)
        let installer = ModelInstaller(
            client: client, store: store, slot: slot,
            verifier: verifier, paths: paths, metrics: metrics, work: work, logger: logger)
        let watch = WatchService(
            client: client, store: store, slot: slot, connection: connection, installer: installer,
            experiments: ExperimentInstaller(
                client: client, slot: experiments, verifier: verifier,
                files: ModelFiles(directory: paths.experiments), work: work, logger: logger),
            monitorUpload: monitorUpload,
            roundTasks: taskSink, seed: configuration.seed ?? UInt64.random(in: 0...UInt64.max), logger: logger)
        return AgentRuntime(
            deviceId: identity.deviceId, apiURL: server.url,
            services: [
                HTTPClientLifetime(client: client),
                BlockingWorkLifetime(work: work),
                CounterFlushService(ledger: counters, interval: .seconds(5), logger: logger),
                MonitorWriterService(writer: writer, interval: .seconds(1), logger: logger),
                shadows,
                server,
                TrainingService(
                    client: client, store: store, counters: counters, privacy: ledger, metrics: metrics, tasks: tasks,
                    monitorWriter: configuration.monitoring.enabled ? writer : nil, logger: logger),
                watch,
            ] + reporting)
    }
}
