import Foundation
import StarlingAdmin
import XCTest

/// `starling-aggregator serve` refuses unusable settings before it touches its data folder.
final class ServeOptionsTests: XCTestCase {
    func test_serve_withNonPositiveMaxModelParameters_exitsWithAUsageError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-serve-\(UUID().uuidString.prefix(8))")
        let process = Process()
        process.executableURL = StarlingBinaries.locate().aggregator
        process.arguments = ["serve", "--data-dir", folder.path, "--max-model-parameters", "0"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        XCTAssertEqual(process.terminationStatus, 64, stderr)
        XCTAssertTrue(stderr.contains("--max-model-parameters must be a positive number of parameters"), stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
    }
}
