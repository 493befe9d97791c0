import Foundation
import StarlingAdmin
import StarlingDaemon
import StarlingProtocol
import StarlingTransport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Daemons read a YAML file of options (`--config`), command-line options override it, bad files are
/// refused with a sentence, and SIGHUP reloads it: the log level at once, the service manager told,
/// other changes named as waiting for a restart.
final class ConfigurationFileTests: XCTestCase {
    func test_aYAMLFile_becomesTheOptionsItNames_beforeTheCommandLines() throws {
        let arguments = try ConfigurationFile.arguments(
            fromYAML: """
                listen: 127.0.0.1:9443
                monitoring: false
                tag: [site=a, floor=2]
                round-deadline: 30
                metrics: true
                """)
        XCTAssertEqual(
            arguments,
            [
                "--listen", "127.0.0.1:9443", "--metrics", "--no-monitoring", "--round-deadline", "30", "--tag",
                "site=a", "--tag", "floor=2",
            ])
        for bad in ["- a list", "listen: {nested: 1}", "--listen: x", "config: other.yaml", "listen: ["] {
            XCTAssertThrowsError(try ConfigurationFile.arguments(fromYAML: bad), bad)
        }
        XCTAssertEqual(
            try ConfigurationFile.expand(["serve", "--round-deadline", "9"]), ["serve", "--round-deadline", "9"])
    }

    func test_theYAMLOptionsTake_comments_quotes_blockLists_andNull_andRefuseWhatNoOptionTakes() throws {
        let arguments = try ConfigurationFile.arguments(
            fromYAML: """
                ---
                # the device's tags
                tag:
                  - site=a   # first
                  - "floor: 2"
                name: 'it''s here'
                path: "/var/lib/a b#c"
                note: x # trailing comment
                empty: ~
                level: "a\tb"
                """)
        XCTAssertEqual(
            arguments,
            [
                "--level", "a\tb", "--name", "it's here", "--note", "x", "--path", "/var/lib/a b#c", "--tag", "site=a",
                "--tag", "floor: 2",
            ])
        let refusals = [
            "listen: 1\nlisten: 2": "given twice",
            "listen:\n  host: a": "line 2",
            "tag: [a, [b]]": "nests",
            "name: \"open": "does not close",
            "name: *anchor": "quote it",
            "\tlisten: 1": "tab",
            "just text": "is not `option: value`",
        ]
        for (text, expected) in refusals {
            do {
                _ = try ConfigurationFile.arguments(fromYAML: text)
                XCTFail("\(text) was accepted")
            } catch {
                XCTAssertTrue(error.description.contains(expected), "\(text): \(error.description)")
            }
        }
    }

    func test_theAggregator_readsItsFile_letsFlagsOverrideIt_andReloadsItOnSIGHUP() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("starling-config-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("aggregator.yaml")
        let data = folder.appendingPathComponent("aggregator")
        func write(logLevel: String, minimum: Int) throws {
            try """
            data-dir: \(data.path)
            listen: 127.0.0.1:0
            device-listen: 127.0.0.1:0
            metrics-listen: 127.0.0.1:0
            max-model-parameters: 10
            log-level: \(logLevel)
            min-statistics-devices: \(minimum)
            """.write(to: file, atomically: true, encoding: .utf8)
        }
        try write(logLevel: "warning", minimum: 3)
        let binaries = StarlingBinaries.locate()
        let bad = try await runBinary(
            binaries.aggregator, ["serve", "--config", folder.appendingPathComponent("missing.yaml").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("cannot read the configuration file"), bad.stderr)

        let socket = try ServiceManagerTests.NotifySocket(path: folder.appendingPathComponent("n.sock").path)
        defer { socket.close() }
        let log = folder.appendingPathComponent("aggregator.log")
        let aggregator = try ManagedProcess(
            name: "aggregator", executable: binaries.aggregator,
            arguments: ["serve", "--config", file.path, "--max-model-parameters", "1000000"],
            environment: ["NOTIFY_SOCKET": socket.path], logFile: log)
        _ = try await Wait.until("the aggregator to be ready", timeout: .seconds(60), interval: .milliseconds(50)) {
            socket.messages.contains { $0.hasPrefix("READY=1") } ? true : nil
        }
        let endpoints = try AggregatorEndpoints.read(from: data)
        XCTAssertNotNil(endpoints.metricsUrl, "the file's metrics-listen took effect")
        let admin = try AdminClient(
            connection: try DemoFleet(workDirectory: folder, binaries: binaries).adminConnection(to: endpoints))
        let created = try await admin.createModel(CreateModelRequest(name: "m", architecture: "4-3-2", seed: 1))
        XCTAssertEqual(created.version, 1, "the command line's --max-model-parameters overrode the file's 10")
        await admin.shutdown()
        XCTAssertFalse(
            try String(contentsOf: log, encoding: .utf8).contains(" debug "), "the file's warning level holds")

        try write(logLevel: "debug", minimum: 5)
        kill(aggregator.processIdentifier, SIGHUP)
        let reloaded = try await Wait.until("the reload", timeout: .seconds(30), interval: .milliseconds(50)) {
            socket.messages.last { $0.contains("STATUS=configuration reloaded") }
        }
        XCTAssertTrue(socket.messages.contains("RELOADING=1"))
        XCTAssertTrue(reloaded.contains("a restart applies --min-statistics-devices"), reloaded)
        XCTAssertFalse(reloaded.contains("--log-level"), "the log level needs no restart: \(reloaded)")
        XCTAssertTrue(aggregator.isRunning)
        let status = await aggregator.terminate()
        XCTAssertEqual(status, 0)
        XCTAssertTrue(
            try String(contentsOf: log, encoding: .utf8).contains(" debug "),
            "after the reload the services' debug lines at shutdown are logged")
    }
}
