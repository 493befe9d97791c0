import Foundation
import StarlingAdmin
import XCTest

/// `starling-agent run` refuses a `--tag` that is not about the device itself before it enrolls:
/// operators give the other tags through the enrollment token.
final class AgentTagOptionTests: XCTestCase {
    func test_run_withATagOutsideTheDevicePrefix_exitsWithAUsageErrorNamingIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-agent-tag-\(UUID().uuidString.prefix(8))")
        let result = try await runBinary(
            StarlingBinaries.locate().agent,
            [
                "run", "--aggregator", "https://127.0.0.1:1", "--ca", "/nonexistent", "--data-dir", folder.path,
                "--tag", "role=admin",
            ])

        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("--tag role=admin must start with 'device.'"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path), "nothing was written")
    }
}
