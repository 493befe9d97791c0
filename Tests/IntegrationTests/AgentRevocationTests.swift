import Foundation
import StarlingAdmin
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

/// A real agent, enrolled with a token it never shows in `ps`, is revoked with the CLI: its next
/// request is refused, the aggregator still refuses it after a crash and restart, and the machine
/// comes back only as a new device with a new enrollment token.
final class AgentRevocationTests: XCTestCase {
    private func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return try XCTUnwrap(attributes[.posixPermissions] as? NSNumber).intValue
    }

    func test_aRevokedAgent_isRefused_alsoAfterARestart_andComesBackOnlyWithANewToken() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        let folder = aggregator.fleet.agentDirectory(0)
        try await aggregator.fleet.ingest(
            agent: 0, csv: try TestData.digitsSlice(0..<60, in: aggregator.folder, name: "slice.csv"),
            labelColumn: "label")
        let token = try await aggregator.admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1))
        let apiURL = try await aggregator.fleet.startAgent(
            0, endpoints: aggregator.endpoints, token: token.token, tags: [])
        let member = await aggregator.fleet.processes.member(named: "agent-0")
        let agent = try XCTUnwrap(member)

        let commandLine = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(agent.processIdentifier)/cmdline"))
        XCTAssertNil(commandLine.range(of: Data(token.token.utf8)), "the enrollment token shows in ps")
        XCTAssertEqual(try mode(folder), 0o700)
        XCTAssertEqual(try mode(folder.appendingPathComponent("agent.sqlite")), 0o600)
        XCTAssertEqual(try mode(aggregator.fleet.aggregatorDirectory), 0o700)
        XCTAssertEqual(try mode(aggregator.fleet.aggregatorDirectory.appendingPathComponent("starling.sqlite")), 0o600)

        try await aggregator.waitForOnlineDevices(1)
        let status: AgentStatus = try await aggregator.client(baseURL: apiURL, tls: nil).get(APIPath.agentStatus)
        let revoked = try await runStarling(
            ["devices", "revoke", status.deviceId, "--reason", "lost in transit"], environment: environment)
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        XCTAssertTrue(revoked.stdout.hasPrefix("\(status.deviceId) revoked at "), revoked.stdout)
        XCTAssertTrue(revoked.stdout.contains("lost in transit"), revoked.stdout)
        _ = try await Wait.until("the agent to be refused (log: \(agent.logFile.path))", timeout: .seconds(30)) {
            let log = (try? String(contentsOf: agent.logFile, encoding: .utf8)) ?? ""
            return log.contains("An admin revoked this device") ? true : nil
        }
        let listed = try await runStarling(["devices", "list"], environment: environment)
        let row = try XCTUnwrap(listed.stdout.split(separator: "\n").first { $0.hasPrefix(status.deviceId) })
        XCTAssertTrue(row.contains("T") && row.contains("Z"), "the REVOKED column shows when: \(row)")

        let restarted = try await aggregator.crashAndRestart(for: self)
        let identity = folder.appendingPathComponent("identity")
        let deviceClient = restarted.client(
            baseURL: restarted.endpoints.deviceUrl,
            tls: try TLSConfigurations.client(
                trusting: restarted.caPEM,
                identity: try TLSIdentity.load(
                    certificate: identity.appendingPathComponent("device.crt"),
                    privateKey: identity.appendingPathComponent("device.key"))))
        await assertAPIError(status: 403, code: "device_revoked") {
            try await deviceClient.post(
                APIPath.deviceWatch,
                json: WatchRequest(revision: "", sampleCount: 1, runningModel: nil, waitSeconds: 0),
                as: DesiredState.self)
        }

        await agent.terminate()
        try FileManager.default.removeItem(at: identity)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("agent.json"))
        let spent = try ManagedProcess(
            name: "agent-0-spent-token", executable: restarted.fleet.binaries.agent,
            arguments: [
                "run", "--aggregator", restarted.endpoints.url, "--ca", restarted.endpoints.caCertificate,
                "--data-dir", folder.path, "--api", "127.0.0.1:0",
            ],
            environment: ["STARLING_ENROLL_TOKEN": token.token],
            logFile: restarted.folder.appendingPathComponent("agent-0-spent-token.log"))
        await restarted.fleet.processes.add(spent)
        let exit = await spent.waitForExit(timeout: .seconds(30))
        XCTAssertNotEqual(exit, 0, "the spent token enrolled the machine again")
        XCTAssertTrue(spent.logTail().contains("unknown, expired or used up"), spent.logTail())

        let fresh = try await restarted.admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1))
        _ = try await restarted.fleet.startAgent(0, endpoints: restarted.endpoints, token: fresh.token, tags: [])
        try await restarted.waitForOnlineDevices(1)
        let devices = try await restarted.admin.devices()
        XCTAssertEqual(devices.count, 2)
        XCTAssertEqual(devices.first { $0.id == status.deviceId }?.revocationReason, "lost in transit")
        let newcomer = try XCTUnwrap(devices.first { $0.id != status.deviceId })
        XCTAssertNil(newcomer.revokedAt)
        XCTAssertTrue(newcomer.online)
    }
}
