import Foundation
import Logging
import ServiceLifecycle
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import Synchronization
import XCTest

@testable import StarlingAggregator

/// An aggregator running in-process on loopback port 0 in a temporary folder, with HTTPS clients
/// built from StarlingTransport; `admin` carries the token of `admin.token`. Every answer those
/// clients receive is checked against docs/openapi.yaml (``OpenAPIContract``).
final class TestAggregator: Sendable {
    let folder: URL
    /// The PostgreSQL database it keeps its state in; nil for the SQLite file in `folder`.
    let databaseURL: String?
    let endpoints: AggregatorEndpoints
    let caPEM: String
    /// The token of `admin.token` when the aggregator started; nil if a test had deleted it.
    let adminToken: String?
    let admin: StarlingHTTPClient
    let lines: LineCollector
    private let broadcaster: RevisionBroadcaster
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    static func start(
        folder: URL? = nil, deadline: TimeInterval = 30, modelSizeLimit: ModelSizeLimit = .standard,
        metricsListen: ListenAddress? = nil, connectionLimits: ConnectionLimits = .standard(maximumConnections: 256),
        alertWebhook: String? = nil, sqlite: Bool = false, databaseURL: String? = nil, deviceHTTP2: Bool = false,
        advertisedPublicURL: String? = nil
    ) async throws -> TestAggregator {
        let folder = folder ?? freshFolderURL()
        var logger = Logger(label: "test-aggregator")
        logger.logLevel = .warning
        let lines = LineCollector()
        let databaseURL = try databaseURL ?? (sqlite ? nil : PostgreSQLTestSchema.forAggregator(in: folder))
        let aggregator = try Aggregator(
            configuration: AggregatorConfiguration(
                dataDirectory: folder, listen: ListenAddress(host: "127.0.0.1", port: 0), metricsListen: metricsListen,
                defaultRoundDeadline: deadline, coordinatorTick: .milliseconds(20), modelSizeLimit: modelSizeLimit,
                connectionLimits: connectionLimits, alertWebhook: alertWebhook,
                monitorRuleInterval: .milliseconds(50), databaseURL: databaseURL,
                advertisedPublicURL: advertisedPublicURL, deviceHTTP2: deviceHTTP2),
            logger: logger, announce: { lines.append($0) })
        let group = ServiceGroup(services: aggregator.services, logger: logger)
        let running = Task { try await group.run() }
        let endpoints = await aggregator.endpoints.bound()
        let broadcaster = try XCTUnwrap(aggregator.services.compactMap { $0 as? RevisionBroadcaster }.first)
        if databaseURL != nil {
            // Its first session with the other replicas wakes every held watch; a test holds its
            // watches after that, so that only what it does wakes them.
            _ = try await Wait.until("the revision relay to listen", timeout: .seconds(30)) {
                await broadcaster.relaySessionsOpened > 0 ? true : nil
            }
        }
        return try TestAggregator(
            folder: folder, databaseURL: databaseURL, endpoints: endpoints, lines: lines, broadcaster: broadcaster,
            group: group, running: running)
    }

    private init(
        folder: URL, databaseURL: String?, endpoints: AggregatorEndpoints, lines: LineCollector,
        broadcaster: RevisionBroadcaster,
        group: ServiceGroup,
        running: Task<Void, any Error>
    ) throws {
        self.folder = folder
        self.databaseURL = databaseURL
        self.endpoints = endpoints
        self.lines = lines
        self.broadcaster = broadcaster
        self.group = group
        self.running = running
        caPEM = try String(contentsOfFile: endpoints.caCertificate, encoding: .utf8)
        // Without admin.token (a test deleted it) the admin client carries no token.
        adminToken = (try? String(contentsOf: folder.appendingPathComponent("admin.token"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        admin = try Self.client(endpoints.url, caPEM: caPEM, token: adminToken)
    }

    /// `host:port` of the public listener, as a `Host` header names it.
    var authority: String { endpoints.url.replacingOccurrences(of: "https://", with: "") }

    /// How many watches the aggregator holds right now.
    var broadcasterWaiters: Int { get async { await broadcaster.waiterCount } }

    /// How many requests wait for a secure-aggregation stage's progress right now.
    var progressWaiters: Int { get async { await broadcaster.progressWaiterCount } }

    /// The aggregator's database, opened a second time (the aggregator may be running or stopped).
    func openStorage() throws -> Storage {
        try databaseURL.map { try Storage(postgresURL: $0) } ?? Storage(path: DataDirectory(folder).database.path)
    }

    /// Shuts the aggregator down gracefully and waits for every service to stop.
    func stop(removingFolder: Bool = true) async throws {
        await admin.shutdown()
        await group.triggerGracefulShutdown()
        try await running.value
        if removingFolder { try? FileManager.default.removeItem(at: folder) }
    }

    /// A client of the aggregator's; with a device `identity`, one that speaks HTTP/2 as agents do.
    static func client(_ url: String, caPEM: String, token: String? = nil, identity: TLSIdentity? = nil) throws
        -> StarlingHTTPClient
    {
        StarlingHTTPClient(
            baseURL: url, tls: try TLSConfigurations.client(trusting: caPEM, identity: identity), bearerToken: token,
            http2: identity != nil, observer: OpenAPIContract.failingTestOnViolation)
    }

    /// Enrolls a device with a fresh token that gives it `tags`, the device asking for `requesting`
    /// on itself, and returns its mutual-TLS client.
    func enroll(tags: [Tag] = [], requesting: [Tag] = []) async throws -> TestDevice {
        let token: EnrollmentTokenInfo = try await admin.post(
            APIPath.adminEnrollmentTokens, json: CreateEnrollmentTokenRequest(tags: tags))
        let key = DeviceKey.generate()
        let anonymous = try Self.client(endpoints.url, caPEM: caPEM)
        defer { Task { await anonymous.shutdown() } }
        let response: EnrollmentResponse = try await anonymous.post(
            APIPath.enroll,
            json: EnrollmentRequest(token: token.token, csrPem: try key.makeCSRPEM(), tags: requesting))
        let identity = TLSIdentity(certificateChainPEM: response.certificatePem, privateKeyPEM: key.privateKeyPEM)
        return TestDevice(
            id: response.deviceId, identity: identity,
            client: try Self.client(response.deviceUrl, caPEM: caPEM, identity: identity))
    }
}

extension TestAggregator {
    /// Creates model `model` (4-3-2) and enrolls `count` devices, each of which has sent one
    /// heartbeat, so that a run started next can choose them.
    func modelWithWatchingDevices(_ model: String, count: Int) async throws -> [TestDevice] {
        let _: ModelVersionInfo = try await admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: model, architecture: "4-3-2", seed: 1))
        var devices: [TestDevice] = []
        for _ in 0..<count { devices.append(try await enroll()) }
        for device in devices { _ = try await device.watch() }
        return devices
    }

    /// Creates model `model` (4-3-2), enrolls one device, and starts a plain run of one round with
    /// that device as its cohort; returns the run, the device and the task it was handed.
    func startPlainRound(of model: String) async throws -> (run: RunInfo, device: TestDevice, task: RoundTask) {
        let _: ModelVersionInfo = try await admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: model, architecture: "4-3-2", seed: 3))
        let device = try await enroll()
        _ = try await device.watch()
        let run: RunInfo = try await admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: model, clients: 1, minClients: 1, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 1,
                secureAggregation: false))
        return (run, device, try await device.nextTask())
    }
}

/// Lines the aggregator announced (what the executable prints to stdout).
final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

extension TestAggregator {
    /// A data folder's path no test has used, under the temporary folder.
    static func freshFolderURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-agg-test-\(UUID().uuidString.prefix(8))")
    }

    /// A data folder for a second replica with this one's keys and admin token, as
    /// `starling demo --replicas` gives its replicas.
    func replicaFolder() throws -> URL {
        let replica = Self.freshFolderURL()
        let files = FileManager.default
        try files.createDirectory(at: replica, withIntermediateDirectories: true)
        try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: replica.path)
        for item in ["pki", "admin.token"] {
            try files.copyItem(at: folder.appendingPathComponent(item), to: replica.appendingPathComponent(item))
        }
        return replica
    }
}
