import Foundation
import StarlingAdmin
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

        let created = try await runStarling(["model", "create", "--name", "cli", "--arch", "64-16-10"], environment: environment)
        XCTAssertEqual(created.status, 0, created.stderr)
        let listed = try await runStarling(["model", "versions", "--model", "cli"], environment: environment)
        XCTAssertTrue(listed.stdout.contains("initialized"), listed.stdout)

        let unknown = try await runStarling(
            ["round", "start", "--model", "nope", "--clients", "2", "--min-clients", "1"], environment: environment)
        XCTAssertEqual(unknown.status, 5)
        XCTAssertTrue(unknown.stderr.contains("model_not_found"), unknown.stderr)

        let secure = try await runStarling(
            ["round", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--detach"], environment: environment)
        XCTAssertEqual(secure.status, 0, secure.stderr)
        XCTAssertTrue(secure.stdout.contains("with secure aggregation"), "secure aggregation is on by default: \(secure.stdout)")
        let plain = try await runStarling(
            ["round", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--no-secagg", "--detach"],
            environment: environment)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stdout.contains("secure"), plain.stdout)
        let contradictory = try await runStarling(
            ["round", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--no-secagg", "--secagg-threshold", "2"],
            environment: environment)
        XCTAssertEqual(contradictory.status, 2, "a usage error")
        XCTAssertTrue(contradictory.stderr.contains("--secagg-threshold needs secure aggregation"), contradictory.stderr)
        let unprotected = try await runStarling(
            ["round", "start", "--model", "cli", "--clients", "2", "--min-clients", "1", "--no-secagg", "--privacy", "distributed", "--epsilon", "4"],
            environment: environment)
        XCTAssertEqual(unprotected.status, 2, "a usage error")
        XCTAssertTrue(unprotected.stderr.contains("--privacy distributed needs secure aggregation"), unprotected.stderr)

        let wrongToken = try await runStarling(
            ["devices", "list", "--token", "stk_wrong"], environment: environment)
        XCTAssertEqual(wrongToken.status, 5)
        XCTAssertTrue(wrongToken.stderr.contains("unauthorized"), wrongToken.stderr)
    }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the real `starling` binary with exactly this environment (plus PATH) and captures its output.
func runStarling(_ arguments: [String], environment: [String: String]) async throws -> CommandResult {
    let process = Process()
    process.executableURL = StarlingBinaries.locate().folder.appendingPathComponent("starling")
    process.arguments = arguments
    process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]) { a, _ in a }
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
