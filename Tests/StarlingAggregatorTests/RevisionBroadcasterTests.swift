import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Long-poll bookkeeping: stale revisions answer at once, current ones wait for a bump; progress
/// wakes what waits for progress and leaves held watches alone.
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

    func test_progress_wakesItsWaiters_andLeavesHeldWatchesAlone() async throws {
        let broadcaster = RevisionBroadcaster(bootID: "boot")
        let watch = Task { await broadcaster.waitForChange(from: "boot.0", timeout: .seconds(60)) }
        let reply = Task { await broadcaster.waitForProgress(from: 0, timeout: .seconds(60)) }
        _ = try await Wait.until("a watch and a reply to wait", timeout: .seconds(30)) {
            let (watches, replies) = (await broadcaster.waiterCount, await broadcaster.progressWaiterCount)
            return watches == 1 && replies == 1 ? true : nil
        }
        await broadcaster.progressed()
        let progress = await reply.value
        XCTAssertEqual(progress, 1, "the reply woke with the progress")
        let (watches, revision) = (await broadcaster.waiterCount, await broadcaster.current)
        XCTAssertEqual(watches, 1, "the held watch is still held")
        XCTAssertEqual(revision, "boot.0", "progress changes no desired state")

        await broadcaster.bump()
        let answered = await watch.value
        XCTAssertEqual(answered, "boot.1")
        let after = await broadcaster.currentProgress
        XCTAssertEqual(after, 2, "a change of desired state is progress too")
    }

    func test_aBump_wakesWhatWaitsForProgress() async throws {
        let broadcaster = RevisionBroadcaster(bootID: "boot")
        let reply = Task { await broadcaster.waitForProgress(from: 0, timeout: .seconds(60)) }
        _ = try await Wait.until("the reply to wait", timeout: .seconds(30)) {
            await broadcaster.progressWaiterCount == 1 ? true : nil
        }
        await broadcaster.bump()
        let progress = await reply.value
        XCTAssertEqual(progress, 1)
    }

    func test_localChanges_offerTheStrongestChangeOfABurst() async {
        let broadcaster = RevisionBroadcaster(bootID: "boot")
        await broadcaster.progressed()
        await broadcaster.bump()
        await broadcaster.progressed()
        let burst = await broadcaster.takeLocalChange()
        XCTAssertEqual(burst, .desiredState, "a burst that changed a desired state is relayed as such")
        let drained = await broadcaster.takeLocalChange()
        XCTAssertNil(drained)
        await broadcaster.progressed()
        let progress = await broadcaster.takeLocalChange()
        XCTAssertEqual(progress, .progress)
    }
}
