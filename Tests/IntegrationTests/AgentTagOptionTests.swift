import Foundation
import StarlingAdmin
import XCTest

/// `starling-agent run` refuses a `--tag` that is not about the device itself before it enrolls:
/// operators give the other tags through the enrollment token.
final class AgentTagOptionTests: XCTestCase {
    func test_run_withATagOutsideTheDevicePrefix_exitsWithAUsageErrorNamingIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-agent-tag-\(UUID().uuidString.prefix(8))")
        let process = Process()
        process.executableURL = StarlingBinaries.locate().agent
        process.arguments = [
            "run", "--aggregator", "https://127.0.0.1:1", "--ca", "/nonexistent", "--data-dir", folder.path,
            "--tag", "role=admin",
        ]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        XCTAssertEqual(process.terminationStatus, 64, stderr)
        XCTAssertTrue(stderr.contains("--tag role=admin must start with 'device.'"), stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path), "nothing was written")
    }
}
