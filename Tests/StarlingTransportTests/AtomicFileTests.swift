import Foundation
import StarlingTransport
import XCTest

final class AtomicFileTests: XCTestCase {
    func test_write_replacesContentAndSetsPermissions() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("nested/secret.key")

        try AtomicFile.write("first", to: target, permissions: 0o600)
        try AtomicFile.write("second", to: target, permissions: 0o600)

        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "second")
        let attributes = try FileManager.default.attributesOfItem(atPath: target.path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: target.deletingLastPathComponent().path)
        XCTAssertEqual(leftovers, ["secret.key"])
    }

    func test_write_intoUnwritablePlace_throwsErrorNamingThePath() {
        XCTAssertThrowsError(try AtomicFile.write("x", to: URL(fileURLWithPath: "/proc/starling/x"))) { error in
            XCTAssertTrue(String(describing: error).contains("/proc/starling"))
        }
    }
}
