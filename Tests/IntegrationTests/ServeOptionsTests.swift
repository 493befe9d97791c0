import Foundation
import StarlingAdmin
import XCTest

/// `starling-aggregator serve` refuses unusable settings before it touches its data folder.
final class ServeOptionsTests: XCTestCase {
    func test_serve_withNonPositiveMaxModelParameters_exitsWithAUsageError() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-serve-\(UUID().uuidString.prefix(8))")
        let result = try await runBinary(
            StarlingBinaries.locate().aggregator, ["serve", "--data-dir", folder.path, "--max-model-parameters", "0"])

        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(
            result.stderr.contains("--max-model-parameters must be a positive number of parameters"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
    }

    func test_serve_withAPublicURLThatIsNotHTTPS_exitsWithAUsageError() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-serve-\(UUID().uuidString.prefix(8))")
        let result = try await runBinary(
            StarlingBinaries.locate().aggregator,
            ["serve", "--data-dir", folder.path, "--public-url", "http://replica-1.example:8443"])

        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("--public-url must be an https:// URL"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
    }
}
