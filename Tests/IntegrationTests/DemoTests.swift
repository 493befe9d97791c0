import Foundation
import StarlingAdmin
import StarlingProtocol
import XCTest

/// The whole loop with real processes: enroll, collect a feature profile, train federated with the
/// round defaults, deploy, predict, shut down.
final class DemoTests: XCTestCase {
    func test_demoOnDigits_reaches95PercentHeldOut_besideItsCentralisedReference_andLeavesNothingRunning() async throws
    {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-demo-it-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }

        let result = try await runStarling(
            [
                "demo", "--data", TestData.digits.path, "--label", "label", "--agents", "8", "--rounds", "10",
                "--arch", "64-32-10", "--work-dir", work.path, "--keep",
            ],
            environment: [:])

        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let lastLine = try XCTUnwrap(result.stdout.split(separator: "\n").last)
        let report = try StarlingJSON.decoder().decode(DemoReport.self, from: Data(lastLine.utf8))
        XCTAssertEqual(report.rounds, 10)
        XCTAssertGreaterThanOrEqual(report.finalAccuracy, 0.95, result.stdout)
        XCTAssertGreaterThanOrEqual(report.centralisedAccuracy, 0.9, result.stdout)
        XCTAssertTrue(lastLine.contains("\"centralised_accuracy\""), String(lastLine))
        XCTAssertTrue(result.stdout.contains("feature profile demo v1 collected"), result.stdout)
        XCTAssertGreaterThan(report.servedAccuracy, 0.85)
        XCTAssertEqual(report.degradedRate, 0)
        XCTAssertTrue((0...1).contains(report.phase2Rate))
        let roundLines = result.stdout.split(separator: "\n").filter {
            $0.hasPrefix("round ") && $0.contains("held-out accuracy")
        }
        XCTAssertEqual(roundLines.count, 10, result.stdout)
        XCTAssertTrue(result.stdout.contains("every process stopped cleanly"), result.stdout)
        XCTAssertEqual(processesMentioning(work.path), [], "processes left running")
    }

    /// `starling demo --replicas 3`: a throw-away PostgreSQL server, three aggregator processes
    /// behind HAProxy, the leader killed after the first round, another taking over, the run and
    /// the rest of the loop finishing; nothing left running, the database server included.
    func test_demoWithThreeReplicas_showsATakeover_andFinishesTheLoop() async throws {
        guard ThrowAwayPostgreSQL.locatePrograms() != nil, ReplicaCluster.locateHAProxy() != nil else {
            throw XCTSkip("PostgreSQL's server programs and HAProxy are needed: `make test-deps` installs them")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-demo-replicas-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }

        let result = try await runStarling(
            [
                "demo", "--data", TestData.digits.path, "--label", "label", "--agents", "6", "--rounds", "3",
                "--arch", "64-32-10", "--replicas", "3", "--work-dir", work.path, "--keep",
            ],
            environment: [:])

        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let lastLine = try XCTUnwrap(result.stdout.split(separator: "\n").last)
        let report = try StarlingJSON.decoder().decode(DemoReport.self, from: Data(lastLine.utf8))
        XCTAssertEqual(report.finalVersion, 4, "three rounds, one version each, after the first")
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("replica ") && $0.contains("listening on") }.count, 3)
        XCTAssertTrue(lines.contains { $0.hasPrefix("killing replica") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("took the lead (epoch 2)") }, result.stdout)
        XCTAssertTrue(
            result.stdout.contains("processes that did not stop cleanly: aggregator")
                && !result.stdout.contains("haproxy ("),
            "only the replica killed on purpose ended unclean: \(result.stdout)")
        XCTAssertEqual(processesMentioning(work.path), [], "processes left running")
        XCTAssertEqual(processesMentioning("starling-postgresql-"), [], "the database server was stopped")
    }
}

/// Process ids whose command line mentions `text` (Linux /proc).
func processesMentioning(_ text: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), pid != getpid(),
            let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return commandLine.contains(text) ? pid : nil
    }
}
