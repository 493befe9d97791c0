import XCTest

@testable import StarlingAggregator

/// Long-poll bookkeeping: stale revisions answer at once, current ones wait for a bump.
final class RevisionBroadcasterTests: XCTestCase {
    func test_waitForChange_withStaleRevision_returnsAtOnce() async {
        let broadcaster = RevisionBroadcaster(bootID: "boot")
        let answer = await broadcaster.waitForChange(from: "", timeout: .seconds(30))
        XCTAssertEqual(answer, "boot.0")
    }

    func test_waitForChange_withCurrentRevision_returnsOnBump() async {
        let broadcaster = RevisionBroadcaster(bootID: "boot")
        async let answer = broadcaster.waitForChange(from: "boot.0", timeout: .seconds(30))
        while await broadcaster.waiterCount == 0 { await Task.yield() }
        await broadcaster.bump()
        let revision = await answer
        XCTAssertEqual(revision, "boot.1")
    }

    func test_waitForChange_withoutChange_returnsCurrentAfterTimeout() async {
        let broadcaster = RevisionBroadcaster(bootID: "boot")
        let answer = await broadcaster.waitForChange(from: "boot.0", timeout: .milliseconds(20))
        XCTAssertEqual(answer, "boot.0")
        let waiting = await broadcaster.waiterCount
        XCTAssertEqual(waiting, 0)
    }
}
