import Foundation
import Synchronization
import XCTest

@testable import StarlingAggregator

/// Dashboard sessions against an injected clock: they end after the idle time, after the absolute
/// lifetime however busy, and at sign-out; ids are secrets nobody else holds.
final class DashboardSessionsTests: XCTestCase {
    private let clock = ManualClock()

    private func sessions(idle: TimeInterval = 60, absolute: TimeInterval = 600) -> DashboardSessions {
        DashboardSessions(clock: { [clock] in clock.now }, idleLifetime: idle, absoluteLifetime: absolute)
    }

    private func advance(_ seconds: TimeInterval) { clock.advance(seconds) }

    func test_session_endsAfterItsIdleTime() async {
        let sessions = sessions()
        let opened = await sessions.open(tokenId: "adm-1")
        advance(59)
        let used = await sessions.use(id: opened.id)
        XCTAssertEqual(used?.tokenId, "adm-1")
        advance(59)
        let usedAgain = await sessions.use(id: opened.id)
        XCTAssertNotNil(usedAgain, "each use restarts the idle time")
        advance(60)
        let idle = await sessions.use(id: opened.id)
        XCTAssertNil(idle)
    }

    func test_session_endsAfterItsAbsoluteLifetime_evenWhenUsed() async {
        let sessions = sessions()
        let opened = await sessions.open(tokenId: "adm-1")
        for _ in 0..<11 {
            advance(50)
            let used = await sessions.use(id: opened.id)
            XCTAssertNotNil(used)
        }
        advance(50)
        let old = await sessions.use(id: opened.id)
        XCTAssertNil(old)
    }

    func test_close_endsTheSession_andOthersStay() async {
        let sessions = sessions()
        let first = await sessions.open(tokenId: "adm-1")
        let second = await sessions.open(tokenId: "adm-2")
        XCTAssertNotEqual(first.id, second.id)
        XCTAssertNotEqual(first.session.csrfToken, second.session.csrfToken)
        await sessions.close(id: first.id)
        let closed = await sessions.use(id: first.id)
        XCTAssertNil(closed)
        let other = await sessions.use(id: second.id)
        XCTAssertEqual(other?.tokenId, "adm-2")
        let unknown = await sessions.use(id: "never-issued")
        XCTAssertNil(unknown)
    }
}

/// A clock that moves only when told.
private final class ManualClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}
