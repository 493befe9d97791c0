import Foundation
import StarlingAdmin
import StarlingProtocol
import StarlingTransport
import XCTest

/// The `starling` CLI fails with one sentence and the documented exit status.
final class CommandLineTests: XCTestCase {
    func test_withoutConfiguration_exits3WithOneSentence() async throws {
        let result = try await runStarling(["devices", "list"], environment: [:])

        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(result.stderr.hasPrefix("error: no aggregator URL"), result.stderr)
    }

    func test_againstAggregator_createsTokensAndRejectsUnknownModels() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]

        let token = try await runStarling(["token", "create"], environment: environment)
        XCTAssertEqual(token.status, 0, token.stderr)
        XCTAssertTrue(token.stdout.hasPrefix("enr_"), token.stdout)

        let created = try await runStarling(
            ["model", "create", "--name", "cli", "--arch", "64-16-10"], environment: environment)
        XCTAssertEqual(created.status, 0, created.stderr)
        let listed = try await runStarling(["model", "versions", "--model", "cli"], environment: environment)
        XCTAssertTrue(listed.stdout.contains("initialized"), listed.stdout)

        // `round` is the former name of the `run` command, and still answers.
        let unknown = try await runStarling(
            ["round", "start", "--model", "nope", "--clients", "2", "--min-clients", "1"], environment: environment)
        XCTAssertEqual(unknown.status, 5)
        XCTAssertTrue(unknown.stderr.contains("model_not_found"), unknown.stderr)

        let secure = try await runStarling(
            ["run", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--detach"],
            environment: environment)
        XCTAssertEqual(secure.status, 0, secure.stderr)
        XCTAssertTrue(
            secure.stdout.contains("with secure aggregation"), "secure aggregation is on by default: \(secure.stdout)")
        let plain = try await runStarling(
            ["run", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--no-secagg", "--detach"],
            environment: environment)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stdout.contains("secure"), plain.stdout)
        let contradictory = try await runStarling(
            [
                "run", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--no-secagg",
                "--secagg-threshold", "2",
            ],
            environment: environment)
        XCTAssertEqual(contradictory.status, 2, "a usage error")
        XCTAssertTrue(
            contradictory.stderr.contains("--secagg-threshold needs secure aggregation"), contradictory.stderr)
        let unprotected = try await runStarling(
            [
                "run", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--no-secagg", "--privacy",
                "distributed", "--epsilon", "4",
            ],
            environment: environment)
        XCTAssertEqual(unprotected.status, 2, "a usage error")
        XCTAssertTrue(unprotected.stderr.contains("--privacy distributed needs secure aggregation"), unprotected.stderr)

        let wavesWithoutCanary = try await runStarling(
            ["deploy", "--model", "cli", "--version", "1", "--to", "all", "--waves", "5,100"], environment: environment)
        XCTAssertEqual(wavesWithoutCanary.status, 2)
        XCTAssertTrue(wavesWithoutCanary.stderr.contains("--waves needs --strategy canary"), wavesWithoutCanary.stderr)
        let neither = try await runStarling(["deploy", "--model", "cli", "--to", "all"], environment: environment)
        XCTAssertEqual(neither.status, 2)
        XCTAssertTrue(neither.stderr.contains("exactly one of --version and --alias"), neither.stderr)
        let alias = try await runStarling(
            ["model", "alias", "set", "--model", "cli", "--alias", "production", "--version", "1"],
            environment: environment)
        XCTAssertEqual(alias.status, 0, alias.stderr)
        let listedAliases = try await runStarling(
            ["model", "alias", "list", "--model", "cli"], environment: environment)
        XCTAssertTrue(listedAliases.stdout.contains("production"), listedAliases.stdout)
        let deployed = try await runStarling(
            ["deploy", "--model", "cli", "--alias", "production", "--to", "all", "--json"], environment: environment)
        XCTAssertEqual(deployed.status, 0, deployed.stderr)
        let deployment = try StarlingJSON.decoder().decode(DeploymentInfo.self, from: Data(deployed.stdout.utf8))
        XCTAssertEqual(deployment.alias, "production")
        let status = try await runStarling(["deploy", "status", deployment.id], environment: environment)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(
            status.stdout.contains("] 100%") || status.stdout.contains("] 0%"), "a progress bar: \(status.stdout)")
        let history = try await runStarling(["deploy", "events", deployment.id], environment: environment)
        XCTAssertTrue(history.stdout.contains("created"), history.stdout)
        let resumeRunning = try await runStarling(["deploy", "resume", deployment.id], environment: environment)
        XCTAssertNotEqual(resumeRunning.status, 0)
        XCTAssertEqual(resumeRunning.stderr.split(separator: "\n").count, 1, "one sentence: \(resumeRunning.stderr)")

        let wrongToken = try await runStarling(
            ["devices", "list", "--token", "stk_wrong"], environment: environment)
        XCTAssertEqual(wrongToken.status, 5)
        XCTAssertTrue(wrongToken.stderr.contains("unauthorized"), wrongToken.stderr)
    }

    func test_modelCreate_ofA17GBArchitecture_exits5WithModelTooLarge_andTheAggregatorKeepsAnswering() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]

        let huge = try await runStarling(
            ["model", "create", "--name", "huge", "--arch", "65536-65536-10"], environment: environment)
        XCTAssertEqual(huge.status, 5, huge.stderr)
        XCTAssertEqual(huge.stderr.split(separator: "\n").count, 1, "one sentence: \(huge.stderr)")
        XCTAssertTrue(huge.stderr.contains("model_too_large"), huge.stderr)
        let listed = try await runStarling(["model", "list"], environment: environment)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertFalse(listed.stdout.contains("huge"), listed.stdout)
        XCTAssertTrue(aggregator.running.process.isRunning)
    }

    func test_aDeviceReportWithControlCharacters_isPrintedEscaped_neverActedOnByTheTerminal() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        _ = try await aggregator.admin.createModel(CreateModelRequest(name: "esc", architecture: "4-2", seed: 1))
        let device = try await aggregator.enrollDevice()
        _ = try await device.watch()
        let deployment = try await aggregator.admin.deploy(
            CreateDeploymentRequest(model: "esc", version: 1, selector: .all))
        _ = try await aggregator.deployment(deployment.id) { $0.counts.pending == 1 }
        let _: DeploymentInfo = try await device.client.post(
            APIPath.deviceDeploymentReport(id: deployment.id),
            json: DeploymentReport(state: .failed, model: "esc", version: 1, message: "\u{1B}[2J\u{7}wiped"))
        let admin = aggregator.admin
        _ = try await Wait.until("the failure in the rollout's history", timeout: .seconds(30)) {
            let events = (try? await admin.deploymentEvents(id: deployment.id)) ?? []
            return events.contains { $0.message.contains("wiped") } ? true : nil
        }

        let history = try await runStarling(["deploy", "events", deployment.id], environment: environment)
        XCTAssertEqual(history.status, 0, history.stderr)
        XCTAssertTrue(history.stdout.contains("\\u{1B}[2J\\u{07}wiped"), history.stdout)
        XCTAssertFalse(history.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
    }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the real `starling` binary with exactly this environment (plus PATH) and captures its output.
func runStarling(_ arguments: [String], environment: [String: String]) async throws -> CommandResult {
    try await runBinary(StarlingBinaries.locate().folder.appendingPathComponent("starling"), arguments, environment)
}

/// Runs `executable` with `arguments` and exactly `environment` (plus PATH), and captures its output.
func runBinary(_ executable: URL, _ arguments: [String], _ environment: [String: String] = [:]) async throws
    -> CommandResult
{
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]) {
        a, _ in a
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}
