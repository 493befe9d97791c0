import Foundation
import StarlingStorage
import Synchronization
import XCTest

@testable import StarlingAggregator

/// Writes that arrive while a commit is under way share the next transaction, each in its own
/// savepoint: all of them commit with far fewer syncs, and one that fails rolls back alone.
final class GroupCommitTests: XCTestCase {
    private var folder: URL!
    private var storage: Storage!

    override func setUp() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-group-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        storage = try Storage(path: folder.appendingPathComponent("db.sqlite").path)
        try await storage.engine.write { db in
            try db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        }
    }

    override func tearDown() async throws {
        try await storage.engine.close()
        try? FileManager.default.removeItem(at: folder)
    }

    func test_writesArrivingDuringACommit_allCommit_inOneMoreTransaction() async throws {
        let group = GroupCommit(engine: storage.engine)
        let gate = CommitGate()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await group.write { db in
                    gate.hold()  // keeps the first commit open until the others queue behind it
                    try db.execute("INSERT INTO notes (id, text) VALUES (0, 'first')")
                }
            }
            try await gate.waitUntilHeld()
            for id in 1...99 {
                tasks.addTask {
                    try await group.write { db in
                        try db.execute("INSERT INTO notes (id, text) VALUES (?, 'queued')", id)
                    }
                }
            }
            while await group.waitingCount < 99 { try await Task.sleep(for: .milliseconds(1)) }
            gate.release()
            try await tasks.waitForAll()
        }
        let rows = try await storage.engine.read { db in try db.integer("SELECT COUNT(*) FROM notes") }
        XCTAssertEqual(rows, 100)
        let transactions = await group.transactions
        XCTAssertEqual(transactions, 2, "the first write alone, then the 99 that queued behind it together")
    }

    func test_aFailingWrite_throwsAndRollsBackAlone_whileItsBatchCommits() async throws {
        let group = GroupCommit(engine: storage.engine)
        let gate = CommitGate()
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { tasks in
            tasks.addTask {
                try await group.write { db in
                    gate.hold()
                    try db.execute("INSERT INTO notes (id, text) VALUES (0, 'first')")
                }
                return (0, true)
            }
            try await gate.waitUntilHeld()
            for id in 1...5 {
                tasks.addTask {
                    do {
                        try await group.write { db in
                            try db.execute("INSERT INTO notes (id, text) VALUES (?, 'ok')", id)
                            if id == 3 { try db.execute("INSERT INTO notes (id, text) VALUES (0, 'duplicate')") }
                        }
                        return (id, true)
                    } catch {
                        return (id, false)
                    }
                }
            }
            while await group.waitingCount < 5 { try await Task.sleep(for: .milliseconds(1)) }
            gate.release()
            return try await tasks.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        XCTAssertEqual(outcomes, [0: true, 1: true, 2: true, 3: false, 4: true, 5: true])
        let ids = try await storage.engine.read { db in
            try db.rows("SELECT id FROM notes ORDER BY id").map { try $0.integer("id") }
        }
        XCTAssertEqual(ids, [0, 1, 2, 4, 5], "the failed write left nothing, not even its first insert")
    }
}

/// Holds a write inside its transaction until the test has queued the writes that must wait for it.
private final class CommitGate: Sendable {
    private let held = Mutex(false)
    private let semaphore = DispatchSemaphore(value: 0)

    /// Called inside the write: blocks the writer until ``release()``.
    func hold() {
        held.withLock { $0 = true }
        semaphore.wait()
    }

    func waitUntilHeld() async throws {
        while !held.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
    }

    func release() { semaphore.signal() }
}
