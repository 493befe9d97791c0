import Foundation
import NIOSSL
import StarlingAdmin
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import Synchronization
import XCTest

/// A real aggregator process on loopback in a fresh data folder, with helpers to enroll test
/// devices over HTTPS and to start real agent processes beside it.
///
/// Every client it hands out is closed, and every process stopped, when the test ends.
final class AggregatorHarness: Sendable {
    let fleet: DemoFleet
    let running: RunningAggregator
    let admin: AdminClient
    let caPEM: String
    private let clients = Mutex<[StarlingHTTPClient]>([])

    var endpoints: AggregatorEndpoints { running.endpoints }
    var folder: URL { fleet.workDirectory }

    /// Starts an aggregator for `test` with `options` on its command line, stopped with everything it
    /// started when the test ends.
    static func start(for test: XCTestCase, options: [String] = [], _ name: String = #function) async throws
        -> AggregatorHarness
    {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("starling-it-\(name.filter(\.isLetter).prefix(40))-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let binaries = StarlingBinaries.locate()
        try binaries.check()
        let fleet = DemoFleet(workDirectory: folder, binaries: binaries)
        let harness = try await AggregatorHarness(fleet: fleet, running: fleet.startAggregator(options: options))
        test.addTeardownBlock {
            await harness.stop()
            try? FileManager.default.removeItem(at: folder)
        }
        return harness
    }

    init(fleet: DemoFleet, running: RunningAggregator) throws {
        self.fleet = fleet
        self.running = running
        self.caPEM = try String(contentsOfFile: running.endpoints.caCertificate, encoding: .utf8)
        // After a test deleted admin.token the admin client has no token, and every call it makes is 401.
        let token =
            (try? String(contentsOf: fleet.aggregatorDirectory.appendingPathComponent("admin.token"), encoding: .utf8))
            ?? ""
        self.admin = try AdminClient(
            connection: AdminConnection(
                url: running.endpoints.url, caCertificatePEM: caPEM,
                token: token.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Kills the aggregator with SIGKILL and starts a new one on the same data folder.
    func crashAndRestart(for test: XCTestCase) async throws -> AggregatorHarness {
        running.process.killAbruptly()
        return try await restart(for: test)
    }

    /// Starts a new aggregator on the same data folder (after this one stopped or crashed).
    func restart(for test: XCTestCase) async throws -> AggregatorHarness {
        let harness = try await AggregatorHarness(fleet: fleet, running: fleet.startAggregator())
        test.addTeardownBlock { await harness.stop() }
        return harness
    }

    /// Closes every client and stops every process; returns the processes that did not exit cleanly.
    @discardableResult
    func stop() async -> [(name: String, status: Int32)] {
        await admin.shutdown()
        for client in clients.withLock({ $0 }) { await client.shutdown() }
        clients.withLock { $0.removeAll() }
        return await fleet.stop()
    }

    /// An HTTP client closed when the harness stops.
    func client(baseURL: String, tls: TLSConfiguration?, token: String? = nil) -> StarlingHTTPClient {
        let client = StarlingHTTPClient(baseURL: baseURL, tls: tls, bearerToken: token)
        clients.withLock { $0.append(client) }
        return client
    }

    /// A client for the public listener trusting the aggregator CA.
    func publicClient(token: String? = nil) throws -> StarlingHTTPClient {
        client(baseURL: endpoints.url, tls: try TLSConfigurations.client(trusting: caPEM, identity: nil), token: token)
    }

    /// Enrolls a test device over HTTPS with a token that gives it `tags`, and returns a mutual-TLS
    /// client on the device listener.
    func enrollDevice(tags: [Tag] = []) async throws -> TestDevice {
        let token = try await admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1, tags: tags))
        let key = DeviceKey.generate()
        let response: EnrollmentResponse = try await publicClient().post(
            APIPath.enroll, json: EnrollmentRequest(token: token.token, csrPem: try key.makeCSRPEM(), tags: []))
        let identity = TLSIdentity(certificateChainPEM: response.certificatePem, privateKeyPEM: key.privateKeyPEM)
        let device = client(
            baseURL: response.deviceUrl, tls: try TLSConfigurations.client(trusting: caPEM, identity: identity))
        return TestDevice(id: response.deviceId, identity: identity, client: device)
    }

    /// Starts a real agent process holding `csv`'s rows, enrolled with a fresh token that tags it
    /// `shard=index`, with `options` on its command line.
    func startAgent(_ index: Int, csv: URL, options: [String] = []) async throws -> String {
        try await fleet.ingest(agent: index, csv: csv, labelColumn: "label")
        let token = try await admin.createEnrollmentToken(
            CreateEnrollmentTokenRequest(maxUses: 1, tags: [Tag(key: "shard", value: "\(index)")]))
        return try await fleet.startAgent(index, endpoints: endpoints, token: token.token, tags: [], options: options)
    }

    /// Waits until deployment `id` meets `condition`, and returns it then.
    func deployment(
        _ id: String, timeout: Duration = .seconds(90), until condition: @escaping @Sendable (DeploymentInfo) -> Bool
    ) async throws -> DeploymentInfo {
        let admin = admin
        return try await Wait.until("deployment \(id) to settle", timeout: timeout, interval: .milliseconds(100)) {
            guard let info = try? await admin.deployment(id: id), condition(info) else { return nil as DeploymentInfo? }
            return info
        }
    }

    /// Waits until `count` devices are enrolled and every one's heartbeat says it runs `model@version`.
    func waitForFleet(of count: Int, running model: String, version: Int) async throws {
        let (admin, tag) = (admin, "\(model)@\(version)")
        _ = try await Wait.until("\(count) agents to run \(tag)", timeout: .seconds(60), interval: .milliseconds(100)) {
            let devices = (try? await admin.devices()) ?? []
            return devices.count == count && devices.allSatisfy { $0.runningModel == tag } ? true : nil
        }
    }

    /// Starts `count` agents, agent i holding rows i·`rows`..<(i+1)·`rows` of the digits data, waits
    /// until all of them hold a watch, and returns their local API URLs in order.
    @discardableResult
    func startAgents(_ count: Int, rows: Int, options: [String] = []) async throws -> [String] {
        var urls: [String] = []
        for index in 0..<count {
            let csv = try TestData.digitsSlice(
                index * rows..<(index + 1) * rows, in: folder, name: "slice-\(index).csv")
            urls.append(try await startAgent(index, csv: csv, options: options))
        }
        try await waitForOnlineDevices(count)
        return urls
    }

    /// Waits until `count` devices hold a watch.
    func waitForOnlineDevices(_ count: Int) async throws {
        let admin = admin
        _ = try await Wait.until("\(count) devices online", timeout: .seconds(30), interval: .milliseconds(100)) {
            let online = (try? await admin.devices())?.filter(\.online).count ?? 0
            return online >= count ? online : nil
        }
    }
}

/// Small CSV files cut from the shipped digits data, for agents in tests.
enum TestData {
    static let digits = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/digits.csv")

    /// Writes rows `range` of the digits CSV (with its header) to a new file in `folder`.
    static func digitsSlice(_ range: Range<Int>, in folder: URL, name: String) throws -> URL {
        let lines = try String(contentsOf: digits, encoding: .utf8).split(separator: "\n")
        let slice = [lines[0]] + lines.dropFirst().dropFirst(range.lowerBound).prefix(range.count)
        let file = folder.appendingPathComponent(name)
        try (slice.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}
