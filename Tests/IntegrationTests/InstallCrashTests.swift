import Crypto
import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// Installs survive the agent being killed with SIGKILL at any moment, with the real binaries: on
/// restart the agent serves a model of one of its two slots whose files have the registry's
/// digests, continues an interrupted download where it stopped (a range request for the rest of
/// the partial file), and finishes the install.
final class InstallCrashTests: XCTestCase {
    /// Large enough (17.4 MB fp32, 4.4 MB int8) that its download takes a while on loopback.
    static let bigArchitecture = "64-2048-2048-10"

    func test_weights_answerByteRanges() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        _ = try await aggregator.admin.createModel(CreateModelRequest(name: "ranged", architecture: "64-8-10", seed: 1))
        let whole = try await aggregator.admin.weights(model: "ranged", version: 1)
        let device = try await aggregator.enrollDevice()
        let path = APIPath.deviceWeights(model: "ranged", version: 1)

        var full = try await device.client.getRange(path, from: 0)
        XCTAssertEqual(full.status, 200)
        XCTAssertEqual(full.header("Accept-Ranges"), "bytes")
        let fullBody = try await Self.drain(&full)
        XCTAssertEqual(fullBody, whole)

        var middle = try await device.client.getRange(path, from: 10, through: 19)
        XCTAssertEqual(middle.status, 206)
        XCTAssertEqual(middle.header("Content-Range"), "bytes 10-19/\(whole.count)")
        let middleBody = try await Self.drain(&middle)
        XCTAssertEqual(middleBody, Array(whole[10...19]))

        var rest = try await device.client.getRange(path, from: whole.count - 5)
        XCTAssertEqual(rest.status, 206)
        XCTAssertEqual(rest.header("Content-Range"), "bytes \(whole.count - 5)-\(whole.count - 1)/\(whole.count)")
        let restBody = try await Self.drain(&rest)
        XCTAssertEqual(restBody, Array(whole.suffix(5)))

        var past = try await device.client.getRange(path, from: whole.count)
        XCTAssertEqual(past.status, 416)
        XCTAssertEqual(past.header("Content-Range"), "bytes */\(whole.count)")
        let pastBody = try await Self.drain(&past)
        XCTAssertEqual(pastBody, [])
    }

    /// The kill comes as soon as a partial file appears (big@N's download takes about 80 ms here);
    /// should the download still win the race, the test tries again with another large model.
    func test_killedDuringADownload_servesItsModelOnRestart_andContinuesThePartialFile() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let catalog = try await Catalog.create(in: aggregator, ["small": "64-16-10"])
        var agent = try await RestartableAgent.start(aggregator)
        try await agent.deployAndWait(catalog["small"])

        var serving = catalog["small"]
        var interrupted: (partial: URL, offset: Int, version: ModelVersionInfo)?
        for attempt in 1...3 where interrupted == nil {
            let big = try await aggregator.admin.createModel(
                CreateModelRequest(name: "big\(attempt)", architecture: Self.bigArchitecture, seed: UInt64(attempt)))
            _ = try await aggregator.admin.deploy(CreateDeploymentRequest(model: big.model, version: 1, selector: .all))
            let models = agent.models
            _ = try await Wait.until(
                "a partial download of \(big.tag)", timeout: .seconds(60), interval: .milliseconds(1)
            ) {
                Self.partialFiles(in: models).contains { $0.size > 0 } ? true : nil
            }
            agent.kill()
            if let partial = Self.partialFiles(in: models).first(where: { $0.size > 0 }) {
                interrupted = (partial.url, partial.size, big)
            } else {
                try await agent.restart()
                try await agent.waitUntilRunning(big)
                serving = big
            }
        }
        let (partial, offset, big) = try XCTUnwrap(interrupted, "a kill landed during a download in 3 attempts")
        let artifactSize = partial.lastPathComponent.hasPrefix(big.sha256) ? big.sizeBytes : big.sizeBytesInt8
        XCTAssertLessThan(offset, artifactSize, "killed before the artifact was complete")

        let restarted = ContinuousClock.now
        try await agent.restart()
        let restored = try await assertServesAValidSlot(agent, of: [serving, big])
        XCTAssertEqual(restored.tag, serving.tag, "the agent restarts on the model it ran before the download")
        try await agent.waitUntilRunning(big)
        let finished = ContinuousClock.now - restarted

        let resumed = agent.log().filter { $0.contains("resuming download") }
        XCTAssertTrue(
            resumed.contains { $0.contains("file=\(partial.lastPathComponent)") && $0.contains("offset=\(offset)") },
            "the download continues from byte \(offset) of \(partial.lastPathComponent): \(resumed)")
        try await assertFilesOnDisk(agent, are: [big, serving])
        print(
            "resumed \(partial.lastPathComponent) at byte \(offset) of \(artifactSize);",
            "\(big.tag) served \(finished) after the restart")
    }

    /// Kills the agent at random moments (seeded) of downloads and local rollbacks: for a download,
    /// within 40 ms of the last artifact getting its final name, which is when the version is
    /// checked, the slots switched, old files deleted and the smoke tests run; for a rollback, within
    /// 250 ms of the deployment. After every restart the agent must serve a valid model of its
    /// slots, then finish the install.
    func test_killedAtRandomMomentsOfSwitches_alwaysRestartsServingAValidSlot() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let catalog = try await Catalog.create(
            in: aggregator, ["small": "64-16-10", "mid": "64-256-256-10", "big": Self.bigArchitecture])
        var agent = try await RestartableAgent.start(aggregator)
        try await agent.deployAndWait(catalog["small"])
        var random = SeededRNG(seed: 20_250_611)
        var active = catalog["small"]
        var previous: ModelVersionInfo?
        let targets = ["big", "small", "big", "mid", "big", "small", "mid"].map { catalog[$0] }
        var outcomes: [String] = []
        for target in targets {
            let rollback = previous?.sha256Int8 == target.sha256Int8
            _ = try await aggregator.admin.deploy(
                CreateDeploymentRequest(model: target.model, version: target.version, selector: .all))
            let delay: Int
            if rollback {
                delay = random.nextInt(below: 250)
            } else {
                let installed = agent.models.appendingPathComponent("\(target.sha256Int8).int8.safetensors")
                _ = try await Wait.until(
                    "the int8 artifact of \(target.model)", timeout: .seconds(60), interval: .milliseconds(1)
                ) {
                    FileManager.default.fileExists(atPath: installed.path) ? true : nil
                }
                delay = random.nextInt(below: 40)
            }
            try await Task.sleep(for: .milliseconds(delay))
            agent.kill()
            try await agent.restart()
            let restored = try await assertServesAValidSlot(agent, of: [active, target])
            outcomes.append(
                "\(rollback ? "rollback" : "download") to \(target.tag), killed after \(delay) ms:"
                    + " restarted on \(restored.tag)")
            try await agent.waitUntilRunning(target)
            try await assertFilesOnDisk(agent, are: [target, active])
            (active, previous) = (target, active)
        }
        print(outcomes.joined(separator: "\n"))
    }

    // MARK: - Checks

    /// The agent serves one of `allowed`, restored at start-up from a slot whose files on disk have
    /// the registry's digests; returns the version it restored.
    @discardableResult
    private func assertServesAValidSlot(
        _ agent: RestartableAgent, of allowed: [ModelVersionInfo], file: StaticString = #filePath, line: UInt = #line
    ) async throws -> ModelVersionInfo {
        let status = try await agent.status()
        let running = try XCTUnwrap(status.runningModel, "the agent serves a model", file: file, line: line)
        XCTAssertTrue(
            allowed.contains { $0.tag == running }, "\(running) is one of \(allowed.map(\.tag))", file: file, line: line
        )
        let loaded = try XCTUnwrap(
            agent.log().first { $0.contains("loaded installed model") }, "the agent restored a model at start-up",
            file: file, line: line)
        let restored = try XCTUnwrap(
            allowed.first { loaded.contains("model=\($0.tag)") && loaded.contains("sha256_int8=\($0.sha256Int8)") },
            "restored one of \(allowed.map(\.tag)): \(loaded)", file: file, line: line)
        for (name, digest) in [
            ("\(restored.sha256).safetensors", restored.sha256),
            ("\(restored.sha256Int8).int8.safetensors", restored.sha256Int8),
        ] {
            let bytes = try Data(contentsOf: agent.models.appendingPathComponent(name))
            XCTAssertEqual(SHA256.hash(data: bytes).hex, digest, "\(name) has its digest", file: file, line: line)
        }
        return restored
    }

    /// The agent's model folder comes to hold exactly the artifacts of `versions` (its two slots):
    /// files no slot names are deleted once the switch is done.
    private func assertFilesOnDisk(_ agent: RestartableAgent, are versions: [ModelVersionInfo]) async throws {
        let expected = Set(versions.flatMap { ["\($0.sha256).safetensors", "\($0.sha256Int8).int8.safetensors"] })
        let models = agent.models
        _ = try await Wait.until("the model folder to hold \(expected.sorted())", timeout: .seconds(10)) {
            Set((try? FileManager.default.contentsOfDirectory(atPath: models.path)) ?? []) == expected ? true : nil
        }
    }

    // MARK: - Files and streams

    private static func drain(_ stream: inout StarlingByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await stream.next() { bytes += chunk }
        return bytes
    }

    private static func partialFiles(in folder: URL) -> [(url: URL, size: Int)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".partial") }.compactMap { name in
            let url = folder.appendingPathComponent(name)
            return size(of: url).map { (url, $0) }
        }
    }

    private static func size(of url: URL) -> Int? {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue
    }
}

/// The registry's versions a test created, by model name (each model has one version).
private struct Catalog {
    let versions: [String: ModelVersionInfo]

    /// Creates one model per entry (name → architecture) and reads back its version 1.
    static func create(in aggregator: AggregatorHarness, _ models: [String: String]) async throws -> Catalog {
        var versions: [String: ModelVersionInfo] = [:]
        for (seed, (name, architecture)) in models.sorted(by: { $0.key < $1.key }).enumerated() {
            versions[name] = try await aggregator.admin.createModel(
                CreateModelRequest(name: name, architecture: architecture, seed: UInt64(seed + 1)))
        }
        return Catalog(versions: versions)
    }

    subscript(name: String) -> ModelVersionInfo {
        guard let version = versions[name] else { preconditionFailure("no model \(name) in the catalog") }
        return version
    }
}

/// Agent 0 of a harness as a real process that a test kills with SIGKILL and starts again on the
/// same data folder; each run logs to its own file.
private struct RestartableAgent {
    let aggregator: AggregatorHarness
    private(set) var process: ManagedProcess
    private(set) var apiURL: String
    private(set) var run = 0

    var folder: URL { aggregator.fleet.agentDirectory(0) }
    var models: URL { folder.appendingPathComponent("models") }

    /// Ingests 40 rows of the digits data and starts the agent, enrolling it.
    static func start(_ aggregator: AggregatorHarness) async throws -> RestartableAgent {
        let csv = try TestData.digitsSlice(0..<40, in: aggregator.folder, name: "agent-0.csv")
        try await aggregator.fleet.ingest(agent: 0, csv: csv, labelColumn: "label")
        let (process, url) = try await launch(aggregator, run: 0)
        try await aggregator.waitForOnlineDevices(1)
        return RestartableAgent(aggregator: aggregator, process: process, apiURL: url)
    }

    func kill() {
        process.killAbruptly()
    }

    /// Starts the agent again on its data folder (after ``kill()``).
    mutating func restart() async throws {
        run += 1
        (process, apiURL) = try await Self.launch(aggregator, run: run)
    }

    func status() async throws -> AgentStatus {
        try await aggregator.client(baseURL: apiURL, tls: nil).get(APIPath.agentStatus)
    }

    /// The lines the current run logged so far.
    func log() -> [String] {
        let text = (try? String(contentsOf: process.logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Deploys `version` to every device and waits until the agent runs it.
    func deployAndWait(_ version: ModelVersionInfo) async throws {
        _ = try await aggregator.admin.deploy(
            CreateDeploymentRequest(model: version.model, version: version.version, selector: .all))
        try await waitUntilRunning(version)
    }

    func waitUntilRunning(_ version: ModelVersionInfo) async throws {
        let client = aggregator.client(baseURL: apiURL, tls: nil)
        _ = try await Wait.until(
            "the agent to run \(version.tag) (log: \(process.logFile.path))", timeout: .seconds(90)
        ) {
            let status: AgentStatus? = try? await client.get(APIPath.agentStatus)
            return status?.runningModel == version.tag ? true : nil
        }
    }

    private static func launch(_ aggregator: AggregatorHarness, run: Int) async throws -> (ManagedProcess, String) {
        let folder = aggregator.fleet.agentDirectory(0)
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("agent.json"))
        let token = try await aggregator.admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1))
        let endpoints = aggregator.endpoints
        let process = try ManagedProcess(
            name: "agent-0", executable: aggregator.fleet.binaries.agent,
            arguments: [
                "run", "--aggregator", endpoints.url, "--ca", endpoints.caCertificate, "--enroll-token", token.token,
                "--data-dir", folder.path, "--api", "127.0.0.1:0", "--seed", "\(run + 1)",
            ],
            logFile: aggregator.folder.appendingPathComponent("agent-0.run\(run).log"))
        await aggregator.fleet.processes.add(process)
        let url = try await Wait.until("agent 0 to listen (log: \(process.logFile.path))", timeout: .seconds(60)) {
            guard process.isRunning else { return nil as String? }
            return AgentEndpoints.read(from: folder)?.apiUrl
        }
        return (process, url)
    }
}

extension ModelVersionInfo {
    /// `model@version`, as agents report what they run.
    fileprivate var tag: String { "\(model)@\(version)" }
}
