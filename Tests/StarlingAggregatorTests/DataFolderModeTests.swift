import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// The aggregator's data folder is its owner's alone (0700), and so are its database files (0600),
/// also when an earlier run left them wider.
final class DataFolderModeTests: XCTestCase {
    private func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return try XCTUnwrap(attributes[.posixPermissions] as? NSNumber).intValue
    }

    func test_dataFolderIs0700_andTheDatabaseWithItsWALAndSHMFilesAre0600() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-modes-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let database = folder.appendingPathComponent("starling.sqlite")
        XCTAssertTrue(
            FileManager.default.createFile(atPath: database.path, contents: nil, attributes: [.posixPermissions: 0o644])
        )

        let aggregator = try await TestAggregator.start(folder: folder, sqlite: true)
        addTeardownBlock { try await aggregator.stop() }
        let _: EnrollmentTokenInfo = try await aggregator.admin.post(
            APIPath.adminEnrollmentTokens, json: CreateEnrollmentTokenRequest())

        XCTAssertEqual(try mode(folder), 0o700)
        for suffix in ["", "-wal", "-shm"] {
            let file = URL(fileURLWithPath: database.path + suffix)
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), file.lastPathComponent)
            XCTAssertEqual(try mode(file), 0o600, file.lastPathComponent)
        }
    }
}
