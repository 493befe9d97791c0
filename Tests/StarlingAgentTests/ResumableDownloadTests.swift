import Foundation
import StarlingProtocol
import StarlingTransport
import XCTest

@testable import StarlingAgent

/// Downloads of model artifacts continue where an interrupted one stopped, and only a file with the
/// promised digest is ever stored under its final name.
final class ResumableDownloadTests: XCTestCase {
    func test_fetch_afterTheConnectionDrops_continuesThePartialWithARangeRequest() async throws {
        let toy = try ToyArtifacts(version: 3)
        let fake = FakeAggregator(desired: Self.idle, versions: [3: (toy.fp32, toy.int8)])
        fake.cutNextWeights(after: 100)
        let files = ModelFiles(directory: try makeTemporaryDirectory())
        let sha256 = ContentDigest.sha256Hex(toy.fp32)
        try await withFake(fake) { client in
            let download = ResumableDownload(client: client, files: files, work: testWork, logger: testLogger)
            do {
                _ = try await download.fetch(model: "toy", version: 3, format: .fp32, sha256: sha256)
                XCTFail("a cut transfer must fail")
            } catch let error as AgentError {
                guard case .aggregator = error else { return XCTFail("\(error)") }
            }
            XCTAssertEqual(PartialFile.size(of: files.partial(sha256: sha256)), 100)

            let bytes = try await download.fetch(model: "toy", version: 3, format: .fp32, sha256: sha256)
            XCTAssertEqual(bytes, toy.fp32)
        }
        XCTAssertEqual(fake.weightsRequests.map(\.range), [nil, "bytes=100-"])
        XCTAssertEqual(try Data(contentsOf: files.url(.fp32, sha256: sha256)), Data(toy.fp32))
        XCTAssertFalse(FileManager.default.fileExists(atPath: files.partial(sha256: sha256).path))
    }

    func test_fetch_withACorruptPartial_deletesItAndDownloadsAfresh() async throws {
        let toy = try ToyArtifacts(version: 3)
        let fake = FakeAggregator(desired: Self.idle, versions: [3: (toy.fp32, toy.int8)])
        let files = ModelFiles(directory: try makeTemporaryDirectory())
        let sha256 = ContentDigest.sha256Hex(toy.int8)
        try Data(repeating: 0xEE, count: 50).write(to: files.partial(sha256: sha256))
        try await withFake(fake) { client in
            let bytes = try await ResumableDownload(client: client, files: files, work: testWork, logger: testLogger)
                .fetch(model: "toy", version: 3, format: .int8, sha256: sha256)
            XCTAssertEqual(bytes, toy.int8)
        }
        XCTAssertEqual(
            fake.weightsRequests.map(\.range), ["bytes=50-", nil], "resumed, failed the digest, then afresh")
        XCTAssertEqual(try Data(contentsOf: files.url(.int8, sha256: sha256)), Data(toy.int8))
    }

    func test_fetch_whenTheServerIgnoresTheRange_startsThePartialOver() async throws {
        let toy = try ToyArtifacts(version: 3)
        let fake = FakeAggregator(desired: Self.idle, versions: [3: (toy.fp32, toy.int8)], honoursRanges: false)
        let files = ModelFiles(directory: try makeTemporaryDirectory())
        let sha256 = ContentDigest.sha256Hex(toy.fp32)
        try Data(toy.fp32.prefix(64)).write(to: files.partial(sha256: sha256))
        try await withFake(fake) { client in
            let bytes = try await ResumableDownload(client: client, files: files, work: testWork, logger: testLogger)
                .fetch(model: "toy", version: 3, format: .fp32, sha256: sha256)
            XCTAssertEqual(bytes, toy.fp32)
        }
        XCTAssertEqual(fake.weightsRequests.map(\.range), ["bytes=64-"])
    }

    func test_fetch_withACompletePartial_isAnswered416_andKeepsIt() async throws {
        let toy = try ToyArtifacts(version: 3)
        let fake = FakeAggregator(desired: Self.idle, versions: [3: (toy.fp32, toy.int8)])
        let files = ModelFiles(directory: try makeTemporaryDirectory())
        let sha256 = ContentDigest.sha256Hex(toy.fp32)
        try Data(toy.fp32).write(to: files.partial(sha256: sha256))
        try await withFake(fake) { client in
            let bytes = try await ResumableDownload(client: client, files: files, work: testWork, logger: testLogger)
                .fetch(model: "toy", version: 3, format: .fp32, sha256: sha256)
            XCTAssertEqual(bytes, toy.fp32)
        }
        XCTAssertEqual(fake.weightsRequests.map(\.range), ["bytes=\(toy.fp32.count)-"])
    }

    func test_fetch_ofAnArtifactWithAnotherDigest_refusesIt_andKeepsNothing() async throws {
        let toy = try ToyArtifacts(version: 3)
        let fake = FakeAggregator(desired: Self.idle, versions: [3: (toy.fp32, toy.int8)])
        let files = ModelFiles(directory: try makeTemporaryDirectory())
        let promised = String(repeating: "ab", count: 32)
        try await withFake(fake) { client in
            do {
                _ = try await ResumableDownload(client: client, files: files, work: testWork, logger: testLogger)
                    .fetch(model: "toy", version: 3, format: .fp32, sha256: promised)
                XCTFail("the digest does not match")
            } catch let error as AgentError {
                guard case .digestMismatch(let expected, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(expected, promised)
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: files.directory.path), [])
    }

    func test_fetch_ofAStoredArtifact_downloadsNothing() async throws {
        let toy = try ToyArtifacts(version: 3)
        let fake = FakeAggregator(desired: Self.idle, versions: [3: (toy.fp32, toy.int8)])
        let files = ModelFiles(directory: try makeTemporaryDirectory())
        let sha256 = ContentDigest.sha256Hex(toy.fp32)
        try Data(toy.fp32).write(to: files.url(.fp32, sha256: sha256))
        try await withFake(fake) { client in
            let bytes = try await ResumableDownload(client: client, files: files, work: testWork, logger: testLogger)
                .fetch(model: "toy", version: 3, format: .fp32, sha256: sha256)
            XCTAssertEqual(bytes, toy.fp32)
        }
        XCTAssertEqual(fake.weightsRequests, [])
    }

    private static let idle = DesiredState(revision: "idle", model: nil, rounds: [])
}

/// Serves `fake` on loopback around `body`, which talks to it with a plain-HTTP client.
func withFake(_ fake: FakeAggregator, _ body: (StarlingHTTPClient) async throws -> Void) async throws {
    let server = try await fake.start()
    let client = StarlingHTTPClient(baseURL: server.url, tls: nil)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        do {
            try await body(client)
        } catch {
            group.cancelAll()
            await client.shutdown()
            throw error
        }
        group.cancelAll()
    }
    await client.shutdown()
}
