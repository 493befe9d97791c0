import StarlingTransport
import Synchronization
import XCTest

@testable import StarlingAgent

final class MaskedInputTurnsTests: XCTestCase {
    private final class Tally: Sendable {
        let inside = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let order = Mutex<[Int]>([])
    }

    func test_neverMoreDevicesInsideThanTurns_andEveryDeviceGetsOne() async throws {
        let turns = MaskedInputTurns(count: 3)
        let tally = Tally()
        await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 {
                group.addTask {
                    try await turns.take()
                    let now = tally.inside.add(1, ordering: .sequentiallyConsistent).newValue
                    tally.most.max(now, ordering: .sequentiallyConsistent)
                    for _ in 0..<5 { await Task.yield() }
                    tally.inside.subtract(1, ordering: .sequentiallyConsistent)
                    turns.give()
                    tally.finished.add(1, ordering: .sequentiallyConsistent)
                }
            }
        }
        XCTAssertEqual(tally.finished.load(ordering: .sequentiallyConsistent), 60)
        XCTAssertLessThanOrEqual(tally.most.load(ordering: .sequentiallyConsistent), 3)
        XCTAssertEqual(turns.available, 3, "every turn is given back")
    }

    func test_turnsGoToWaitersInTheOrderTheyCame() async throws {
        let turns = MaskedInputTurns(count: 1)
        try await turns.take()
        let tally = Tally()
        var waiters: [Task<Void, any Error>] = []
        for device in 0..<5 {
            waiters.append(
                Task {
                    try await turns.take()
                    tally.order.withLock { $0.append(device) }
                })
            try await Wait.until("device \(device) to wait", timeout: .seconds(10)) {
                turns.waiting == device + 1 ? true : nil
            }
        }
        for served in 1...5 {
            turns.give()
            try await Wait.until("\(served) devices served", timeout: .seconds(10)) {
                tally.order.withLock(\.count) == served ? true : nil
            }
        }
        for waiter in waiters { try await waiter.value }
        XCTAssertEqual(tally.order.withLock { $0 }, [0, 1, 2, 3, 4])
        XCTAssertEqual(turns.available, 0, "the last device still holds its turn")
    }

    func test_aDeviceCancelledWhileWaitingTakesNoTurn() async throws {
        let turns = MaskedInputTurns(count: 1)
        try await turns.take()
        let waiter = Task { try await turns.take() }
        try await Wait.until("the device to wait", timeout: .seconds(10)) { turns.waiting == 1 ? true : nil }
        waiter.cancel()
        await assertCancelled(waiter)
        XCTAssertEqual(turns.waiting, 0)
        turns.give()
        XCTAssertEqual(turns.available, 1, "the turn goes back to the pool, not to the cancelled device")
    }

    func test_aDeviceCancelledBeforeItAsksTakesNoTurn() async throws {
        let turns = MaskedInputTurns(count: 2)
        let asked = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await turns.take()
        }
        await assertCancelled(asked)
        XCTAssertEqual(turns.available, 2)
    }

    /// `device` ended with `CancellationError`, not with a turn.
    private func assertCancelled(_ device: Task<Void, any Error>, line: UInt = #line) async {
        do {
            try await device.value
            XCTFail("a cancelled device got a turn", line: line)
        } catch {
            XCTAssertTrue(error is CancellationError, "\(error)", line: line)
        }
    }
}
