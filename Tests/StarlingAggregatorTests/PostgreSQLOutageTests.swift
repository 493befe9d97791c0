import Foundation
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

#if canImport(Glibc)
    import Glibc
#endif

/// An aggregator whose PostgreSQL server goes away answers 503 `storage_unavailable` instead of
/// failing or hanging, keeps running, and serves again by itself once the server is back.
final class PostgreSQLOutageTests: XCTestCase {
    func test_losingPostgreSQL_answers503WithACode_andTheAggregatorComesBackByItself() async throws {
        guard ProcessInfo.processInfo.environment["STARLING_TEST_POSTGRES_URL"]?.isEmpty == false else {
            throw XCTSkip("no PostgreSQL server programs: run through `make test`")
        }
        let server = try ServerFolder()
        addTeardownBlock {
            try? server.control("stop")
            try? FileManager.default.removeItem(at: server.folder)
        }
        let url = try server.control("start")
        let aggregator = try await TestAggregator.start(databaseURL: url)
        addTeardownBlock { try await aggregator.stop() }
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "kept", architecture: "4-2", seed: 1))

        _ = try server.control("stop")
        await assertAPIError(status: 503, code: "storage_unavailable") {
            let _: ModelList = try await aggregator.admin.get(APIPath.adminModels)
        }
        await assertAPIError(status: 503, code: "storage_unavailable") {
            let _: ModelVersionInfo = try await aggregator.admin.post(
                APIPath.adminModels, json: CreateModelRequest(name: "lost", architecture: "4-2", seed: 1))
        }

        _ = try server.control("start")
        let deadline = ContinuousClock.now + .seconds(30)
        var models: ModelList?
        while models == nil, ContinuousClock.now < deadline {
            models = try? await aggregator.admin.get(APIPath.adminModels)
            if models == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertEqual(models?.models.map(\.name), ["kept"], "what was accepted before the outage is all there")
    }

    /// A PostgreSQL server of this test's own, in a temporary folder, driven by the script `make
    /// test` uses.
    private struct ServerFolder {
        let folder: URL
        private let script: URL

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-outage-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/postgres-test-server.sh")
        }

        /// Runs `start` or `stop` on the folder; what the script printed. (Through the shell and a
        /// file: Foundation's `Process` never saw the script end once it had started the server.)
        @discardableResult
        func control(_ command: String) throws -> String {
            let printed = folder.appendingPathComponent("\(command).out")
            let status = system("'\(script.path)' \(command) '\(folder.path)' > '\(printed.path)'")
            guard status == 0 else {
                throw CocoaError(
                    .executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(script.path) \(command) failed"])
            }
            return try String(contentsOf: printed, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
