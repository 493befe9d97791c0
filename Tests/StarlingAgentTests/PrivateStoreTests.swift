import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAgent

/// The agent's data folder is its owner's alone (0700) and its store's files are 0600, also when
/// an earlier version left them wider.
final class PrivateStoreTests: XCTestCase {
    private func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return try XCTUnwrap(attributes[.posixPermissions] as? NSNumber).intValue
    }

    func test_newStore_makesTheDataFolder0700_andTheDatabaseWALAndSHM0600() async throws {
        let parent = try makeTemporaryDirectory()
        let folder = parent.appendingPathComponent("agent")
        let path = folder.appendingPathComponent("agent.sqlite")
        let store = try AgentStore(path: path)
        try await store.insert([LabelledSample(features: [1, 2], label: "a")])

        XCTAssertEqual(try mode(folder), 0o700)
        for suffix in ["", "-wal", "-shm"] {
            let file = URL(fileURLWithPath: path.path + suffix)
            XCTAssertEqual(try mode(file), 0o600, file.lastPathComponent)
        }
    }

    func test_reopeningAStoreLeftWider_narrowsItsFolderAndFiles() async throws {
        let folder = try makeTemporaryDirectory()
        let path = folder.appendingPathComponent("agent.sqlite")
        // Kept open, so its -wal and -shm files stay (closing the last connection removes them).
        let first = try AgentStore(path: path)
        try await first.insert([LabelledSample(features: [1, 2], label: "a")])
        for suffix in ["", "-wal", "-shm"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path.path + suffix)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)

        let second = try AgentStore(path: path)
        XCTAssertEqual(try mode(folder), 0o700)
        for suffix in ["", "-wal", "-shm"] {
            XCTAssertEqual(try mode(URL(fileURLWithPath: path.path + suffix)), 0o600, suffix)
        }
        let seenBySecond = try await second.sampleCount()
        let seenByFirst = try await first.sampleCount()
        XCTAssertEqual(seenBySecond, seenByFirst)
    }
}
