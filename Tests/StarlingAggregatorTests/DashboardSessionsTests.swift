import Foundation
import StarlingStorage
import Synchronization
import XCTest

@testable import StarlingAggregator

/// Dashboard sessions in the aggregator's database against an injected clock: they end after the
/// idle time, after the absolute lifetime however busy, and at sign-out; ids are secrets nobody
/// else holds; another aggregator on the same database knows them; the least recently used give way
/// at capacity.
final class DashboardSessionsTests: XCTestCase {
    private let clock = ManualClock()
    private var folder: URL!
    private var storage: Storage!

    override func setUp() async throws {
        folder = TestAggregator.freshFolderURL()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        storage = try openStorage()
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The test's database: SQLite in its folder, or its own PostgreSQL schema when the suite runs
    /// on PostgreSQL; opened again, it is what another aggregator process would see.
    private func openStorage() throws -> Storage {
        try PostgreSQLTestSchema.forAggregator(in: folder).map { try Storage(postgresURL: $0) }
            ?? Storage(path: folder.appendingPathComponent("db.sqlite").path)
    }

    private func sessions(idle: TimeInterval = 60, absolute: TimeInterval = 600, capacity: Int = 1024)
        -> DashboardSessions
    {
        DashboardSessions(
            engine: storage.engine, clock: { [clock] in clock.now }, idleLifetime: idle, absoluteLifetime: absolute,
            capacity: capacity)
    }

    private func advance(_ seconds: TimeInterval) { clock.advance(seconds) }

    func test_session_endsAfterItsIdleTime() async throws {
        let sessions = sessions()
        let opened = try await sessions.open(tokenId: "adm-1")
        advance(59)
        let used = try await sessions.use(id: opened.id)
        XCTAssertEqual(used?.tokenId, "adm-1")
        XCTAssertEqual(used?.csrfToken, opened.session.csrfToken)
        advance(59)
        let usedAgain = try await sessions.use(id: opened.id)
        XCTAssertNotNil(usedAgain, "each use restarts the idle time")
        advance(60)
        let idle = try await sessions.use(id: opened.id)
        XCTAssertNil(idle)
    }

    func test_use_withinTheResolution_keepsTheRecordedLastUse() async throws {
        let sessions = sessions()
        XCTAssertEqual(sessions.lastUseResolution, 2)
        let opened = try await sessions.open(tokenId: "adm-1")
        advance(1)
        let soon = try await sessions.use(id: opened.id)
        XCTAssertEqual(soon?.lastUsedAt, opened.session.lastUsedAt)
        advance(1)
        let later = try await sessions.use(id: opened.id)
        XCTAssertEqual(later?.lastUsedAt, clock.now)
    }

    func test_session_endsAfterItsAbsoluteLifetime_evenWhenUsed() async throws {
        let sessions = sessions()
        let opened = try await sessions.open(tokenId: "adm-1")
        for _ in 0..<11 {
            advance(50)
            let used = try await sessions.use(id: opened.id)
            XCTAssertNotNil(used)
        }
        advance(50)
        let old = try await sessions.use(id: opened.id)
        XCTAssertNil(old)
    }

    func test_close_endsTheSession_andOthersStay() async throws {
        let sessions = sessions()
        let first = try await sessions.open(tokenId: "adm-1")
        let second = try await sessions.open(tokenId: "adm-2")
        XCTAssertNotEqual(first.id, second.id)
        XCTAssertNotEqual(first.session.csrfToken, second.session.csrfToken)
        try await sessions.close(id: first.id)
        let closed = try await sessions.use(id: first.id)
        XCTAssertNil(closed)
        let other = try await sessions.use(id: second.id)
        XCTAssertEqual(other?.tokenId, "adm-2")
        let unknown = try await sessions.use(id: "never-issued")
        XCTAssertNil(unknown)
    }

    func test_aSession_isKnownToAnotherAggregatorOnTheSameDatabase_andItsSignOutEndsItForBoth() async throws {
        let opened = try await sessions().open(tokenId: "adm-1")
        let stored = try await storage.engine.read { db in
            try db.rows(SQLStatement("SELECT idHash FROM dashboardSessions")).map { try $0.text("idHash") }
        }
        XCTAssertEqual(stored, [Secrets.hash(secret: opened.id)], "only the id's hash is kept")
        storage = try openStorage()
        let elsewhere = sessions()
        let used = try await elsewhere.use(id: opened.id)
        XCTAssertEqual(used, opened.session)
        try await elsewhere.close(id: opened.id)
        storage = try openStorage()
        let afterSignOut = try await sessions().use(id: opened.id)
        XCTAssertNil(afterSignOut)
    }

    func test_atCapacity_theLeastRecentlyUsedSessionGivesWay() async throws {
        let sessions = sessions(capacity: 2)
        let first = try await sessions.open(tokenId: "adm-1")
        advance(5)
        let second = try await sessions.open(tokenId: "adm-2")
        advance(5)
        _ = try await sessions.use(id: first.id)
        advance(5)
        let third = try await sessions.open(tokenId: "adm-3")
        let firstAfter = try await sessions.use(id: first.id)
        let secondAfter = try await sessions.use(id: second.id)
        let thirdAfter = try await sessions.use(id: third.id)
        XCTAssertEqual(firstAfter?.tokenId, "adm-1")
        XCTAssertNil(secondAfter, "the least recently used of two gave way to the third")
        XCTAssertEqual(thirdAfter?.tokenId, "adm-3")
    }
}

/// A clock that moves only when told.
private final class ManualClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}
