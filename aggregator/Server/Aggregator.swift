import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOHTTPTypes
public import ServiceLifecycle
import StarlingStorage
import StarlingTransport

/// A ready-to-run aggregator: its data folder prepared (mode 0700; keys, admin token, migrated
/// database with files mode 0600, interrupted rounds failed) and its parts built as services.
///
/// - Important: run ``services`` in one `ServiceGroup`, in order: storage first (stopped last),
///   the heartbeat writer, the round coordinator and rollouts, the listeners (public, device, and
///   metrics when configured), and the revision broadcaster (stopped first, so held watches answer
///   before the listeners drain).
public struct Aggregator: Sendable {
    public let services: [any Service]
    /// Where the listeners are, once bound.
    public let endpoints: EndpointAnnouncer
    /// Every route each listener answers, as `GET /v1/admin/rounds/{id}`, read from its router: what
    /// docs/openapi.yaml must describe, no more and no less (the tests hold one to the other).
    let routes: [AggregatorMetrics.Listener: Set<String>]

    /// Prepares `configuration.dataDirectory` and builds every part. `announce` receives the lines
    /// meant for stdout: the admin token on the run that creates it, then the listening line.
    public init(
        configuration: AggregatorConfiguration, logger: Logger, announce: @escaping @Sendable (String) -> Void
    ) throws(BootstrapError) {
        let directory = DataDirectory(configuration.dataDirectory)
        let clock: @Sendable () -> Date = { Date() }
        do {
            try PrivateFiles.folder(directory.root)
        } catch {
            throw BootstrapError("cannot prepare the data folder: \(error)")
        }
        let identity = try AggregatorIdentity.loadOrCreate(in: directory, hosts: configuration.certificateHosts)
        let storage: Storage
        let leadership = Leadership(replica: Secrets.identifier(prefix: "replica-", hexDigits: 8))
        let electionSession: PostgreSQLSession?
        do {
            storage =
                try configuration.databaseURL.map { try Storage(postgresURL: $0) }
                ?? Storage(path: directory.database.path)
            if let token = try AdminTokenBootstrap.ensure(in: directory, storage: storage, now: clock()) {
                announce("admin token: \(token)")
            }
            electionSession = try LeaderElection.start(
                engine: storage.engine, leadership: leadership, idleTimeout: configuration.leaderIdleTimeout,
                at: clock())
            let failed = try storage.engine.writeBlocking { db in try RunStore.failUnresumable(at: clock(), in: db) }
            if failed > 0 {
                logger.warning(
                    "runs of an older aggregator marked failed by a restart", metadata: ["count": "\(failed)"])
            }
            let swept = try LeftoverSweep.run(directory: directory, engine: storage.engine)
            if swept.total > 0 {
                logger.notice("files left by an interrupted process removed", metadata: ["removed": "\(swept)"])
            }
            let quantized = try Int8Backfill.run(engine: storage.engine, directory: directory, now: clock())
            if quantized > 0 {
                logger.info("int8 artifacts made for earlier versions", metadata: ["count": "\(quantized)"])
            }
            let signed = try SignatureBackfill.run(
                engine: storage.engine, signer: VersionSigner(key: identity.signingKey))
            if signed > 0 { logger.info("earlier versions signed", metadata: ["count": "\(signed)"]) }
            let kept = try ArtifactBackfill.run(engine: storage.engine, directory: directory, now: clock())
            if kept.kept > 0 { logger.info("artifacts kept in the database", metadata: ["count": "\(kept.kept)"]) }
            if kept.unreadable > 0 {
                logger.error(
                    "artifacts missing from the data folder or not matching their digest",
                    metadata: ["count": "\(kept.unreadable)"])
            }
        } catch {
            throw BootstrapError("cannot open the database in \(directory.root.path): \(error)")
        }
        let components: Components
        do {
            components = try Self.components(
                storage: storage, leadership: leadership, identity: identity, directory: directory,
                configuration: configuration, clock: clock, logger: logger, announce: announce)
        } catch {
            throw BootstrapError("cannot load the devices and deployments: \(error)")
        }
        let announcer = components.endpoints
        let deviceAddress = DevicePortMemory.address(for: configuration.deviceListen, in: directory)
        let publicApp: any Service
        let deviceApp: any Service
        var metricsApp: (any Service)?
        let publicRouter = PublicRoutes.router(components)
        let deviceRouter = DeviceRoutes.router(components)
        var routes: [AggregatorMetrics.Listener: Set<String>] = [
            .public: Self.routes(of: publicRouter), .device: Self.routes(of: deviceRouter),
        ]
        do {
            let publicGate = ConnectionGate(limits: configuration.connectionLimits)
            publicApp = Self.application(
                router: publicRouter,
                server: try Self.https1(
                    tls: try TLSConfigurations.server(identity: identity.server, clientCA: nil), gate: publicGate),
                address: configuration.listen, logger: logger,
                onBound: { port in
                    // Recorded before the listener is announced: once a replica says it is up, the
                    // others can forward to it.
                    if storage.engine.dialect == .postgresql {
                        do {
                            try await LeaderForwarder.record(
                                leadership.replica,
                                url: configuration.advertisedPublicURL
                                    ?? configuration.listen.with(port: port).httpsURL,
                                in: storage.engine)
                        } catch {
                            logger.error("cannot record this replica's listener", metadata: ["error": "\(error)"])
                        }
                    }
                    await announcer.publicListenerBound(port: port)
                })
            let deviceGate = ConnectionGate(limits: configuration.deviceConnectionLimits)
            let deviceTLS = try TLSConfigurations.server(identity: identity.server, clientCA: identity.caCertificatePEM)
            deviceApp = Self.application(
                router: deviceRouter,
                server: configuration.deviceHTTP2
                    ? HTTPServerBuilder { responder in
                        try DeviceListenerChannel(
                            tls: deviceTLS, gate: deviceGate,
                            requestHandlers: Self.requestHandlers(deviceGate, admitsConnection: false),
                            responder: responder)
                    }
                    : try Self.https1(tls: deviceTLS, gate: deviceGate),
                address: deviceAddress, logger: logger,
                onBound: { port in await announcer.deviceListenerBound(port: port) })
        } catch {
            throw BootstrapError("cannot configure TLS: \(error)")
        }
        if let address = configuration.metricsListen {
            let metricsRouter = MetricsRoutes.router(components)
            routes[.metrics] = Self.routes(of: metricsRouter)
            let gate = ConnectionGate(limits: configuration.connectionLimits)
            metricsApp = Application(
                router: metricsRouter,
                server: .http1(configuration: .init(additionalChannelHandlers: [Self.deadlines(gate)])),
                configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
                onServerRunning: { channel in
                    await announcer.metricsListenerBound(port: channel.localAddress?.port ?? 0)
                },
                logger: logger)
        }
        let heartbeats = HeartbeatWriter(devices: components.devices, interval: .seconds(1), logger: logger)
        let listeners = [publicApp, deviceApp] + (metricsApp.map { [$0] } ?? [])
        let rules = MonitorRuleService(
            rules: components.monitorRules, monitoring: components.monitoring,
            actions: MonitorActions(
                monitoring: components.monitoring, rollouts: components.rollouts, runs: components.runs,
                runStore: components.runStore, rules: components.monitorRules, registry: components.devices),
            webhook: configuration.alertWebhook, interval: configuration.monitorRuleInterval, clock: clock,
            logger: logger)
        let runs = components.runs
        let rollouts = components.rollouts
        let devices = components.devices
        let election = LeaderElection(
            engine: storage.engine, leadership: leadership, session: electionSession,
            interval: configuration.leaderIdleTimeout / 5, idleTimeout: configuration.leaderIdleTimeout,
            clock: clock,
            onLead: [
                {
                    do {
                        try await devices.reload()
                    } catch {
                        logger.error("cannot load the devices on taking the lead", metadata: ["error": "\(error)"])
                    }
                },
                { await rollouts.takeOver() }, { await runs.takeOver() },
            ],
            onLoss: [{ await runs.stepDown() }], logger: logger)
        let relay = RevisionRelay(
            engine: storage.engine, broadcaster: components.broadcaster, replica: leadership.replica,
            retryInterval: .seconds(1), logger: logger)
        let sync = ReplicaSync(
            engine: storage.engine, devices: devices, runs: runs, rollouts: rollouts,
            broadcaster: components.broadcaster,
            interval: .seconds(1), settle: .milliseconds(50), logger: logger)
        services =
            [
                storage, election, relay, heartbeats, components.runs, components.rollouts,
                components.experiments,
                components.secureMonitoring, rules,
                // Stops catching up with the other replicas before what it catches up for stops.
                sync,
            ] + listeners
            + [components.broadcaster]
        endpoints = announcer
        self.routes = routes
    }

    private static func routes(of router: Router<AggregatorRequestContext>) -> Set<String> {
        Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
    }

    /// The handler that holds one connection (or HTTP/2 stream) of a listener to its
    /// ``ConnectionLimits``, admitting the connection to `gate` unless a
    /// ``ConnectionAdmissionHandler`` did.
    private static func deadlines(_ gate: ConnectionGate, admitsConnection: Bool = true)
        -> RequestDeadlineHandler<HTTPRequestPart, HTTPResponsePart>
    {
        RequestDeadlineHandler(gate: gate, admitsConnection: admitsConnection)
    }

    /// What every request of an HTTPS listener passes: its deadlines and the `CONNECT` closer.
    private static func requestHandlers(_ gate: ConnectionGate, admitsConnection: Bool = true)
        -> [any RemovableChannelHandler]
    {
        [deadlines(gate, admitsConnection: admitsConnection), ConnectClosingHandler()]
    }

    /// An HTTPS listener speaking HTTP/1.1 alone.
    private static func https1(tls: TLSConfiguration, gate: ConnectionGate) throws -> HTTPServerBuilder {
        try .tls(.http1(configuration: .init(additionalChannelHandlers: requestHandlers(gate))), tlsConfiguration: tls)
    }

    /// One HTTPS listener; `onBound` learns the port it bound.
    private static func application(
        router: Router<AggregatorRequestContext>, server: HTTPServerBuilder, address: ListenAddress,
        logger: Logger, onBound: @escaping @Sendable (Int) async -> Void
    ) -> any Service {
        Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in await onBound(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    private static func components(
        storage: Storage, leadership: Leadership, identity: AggregatorIdentity, directory: DataDirectory,
        configuration: AggregatorConfiguration,
        clock: @escaping @Sendable () -> Date, logger: Logger, announce: @escaping @Sendable (String) -> Void
    ) throws -> Components {
        let metrics = AggregatorMetrics()
        let broadcaster = RevisionBroadcaster(bootID: Secrets.identifier(prefix: "", hexDigits: 8))
        let heldRequests = HeldRequests()
        let devices = try DeviceRegistry(
            engine: storage.engine, presence: Presence(), replica: leadership.replica, clock: clock)
        let catalog = ModelCatalog(engine: storage.engine, directory: directory)
        let profiles = ProfileStore(engine: storage.engine)
        let registry = ModelRegistry(
            engine: storage.engine, directory: directory, signer: VersionSigner(key: identity.signingKey),
            profiles: profiles, sizeLimit: configuration.modelSizeLimit, clock: clock)
        let runStore = RunStore(engine: storage.engine, leadership: leadership)
        let evaluations = EvaluationStore(engine: storage.engine)
        let runs = try RunCoordinator(
            store: runStore, catalog: catalog, registry: registry, profiles: profiles, evaluations: evaluations,
            devices: devices, broadcaster: broadcaster, directory: directory, clock: clock,
            tickInterval: configuration.coordinatorTick, defaultDeadline: configuration.defaultRoundDeadline,
            minimumStatisticsDevices: configuration.minimumStatisticsDevices, metrics: metrics, logger: logger)
        let aliases = ModelAliases(engine: storage.engine, clock: clock)
        let rollouts = try Rollouts(
            engine: storage.engine, leadership: leadership, catalog: catalog, aliases: aliases, devices: devices,
            broadcaster: broadcaster, clock: clock, tickInterval: configuration.coordinatorTick, logger: logger)
        let monitors = MonitorStore(engine: storage.engine)
        let shapes = VersionShapes(catalog: catalog)
        let secureMonitoring = try SecureMonitoring(
            mode: configuration.monitorAggregation, minimumDevices: configuration.secureMonitorMinimumDevices,
            interval: configuration.secureMonitorInterval, devices: devices, runs: runs, runStore: runStore,
            shapes: shapes, engine: storage.engine, broadcaster: broadcaster, clock: clock, logger: logger)
        let experiments = try Experiments(
            engine: storage.engine, catalog: catalog, monitors: monitors, rollouts: rollouts, devices: devices,
            broadcaster: broadcaster, clock: clock, refreshInterval: configuration.monitorRuleInterval, logger: logger)
        return Components(
            devices: devices,
            revocation: DeviceRevocation(
                engine: storage.engine, devices: devices, runs: runs, broadcaster: broadcaster, clock: clock),
            enrollment: Enrollment(
                engine: storage.engine, devices: devices, authority: identity.authority,
                caCertificatePEM: identity.caCertificatePEM,
                signingPublicKey: identity.signingPublicKeyBase64, clock: clock),
            enrollmentTokens: EnrollmentTokens(engine: storage.engine, clock: clock),
            adminTokens: AdminTokens(engine: storage.engine, clock: clock),
            audit: AuditLog(engine: storage.engine, clock: clock),
            catalog: catalog, registry: registry, profiles: profiles, evaluations: evaluations, aliases: aliases,
            runs: runs, runStore: runStore, rollouts: rollouts,
            refinement: Refinement(engine: storage.engine, catalog: catalog),
            desiredStates: DesiredStates(
                devices: devices, rollouts: rollouts, coordinator: runs, experiments: experiments,
                secureMonitoring: secureMonitoring, broadcaster: broadcaster, held: heldRequests),
            broadcaster: broadcaster, heldRequests: heldRequests,
            endpoints: EndpointAnnouncer(
                directory: directory, publicHost: configuration.listen, deviceHost: configuration.deviceListen,
                metricsHost: configuration.metricsListen, advertisedDeviceURL: configuration.advertisedDeviceURL,
                announce: announce, logger: logger),
            metrics: metrics, dashboardSessions: DashboardSessions(engine: storage.engine, clock: clock),
            monitoring: FleetMonitoring(
                store: monitors, catalog: catalog, shapes: shapes, clock: clock),
            monitorRules: MonitorRuleStore(engine: storage.engine, clock: clock), experiments: experiments,
            secureMonitoring: secureMonitoring, leadership: leadership,
            forwarder: LeaderForwarder(
                engine: storage.engine,
                tls: try TLSConfigurations.client(trusting: identity.caCertificatePEM, identity: nil),
                timeout: .seconds(60)))
    }
}
