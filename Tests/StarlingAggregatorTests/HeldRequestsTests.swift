import StarlingTransport
import Synchronization
import XCTest

@testable import StarlingAggregator

/// A device holds at most a bounded number of requests at once: past the bound its oldest hold is
/// cut short, while its newer holds and every other device's stay held.
final class HeldRequestsTests: XCTestCase {
    /// What the test's holds did, written from their tasks.
    private final class Record: Sendable {
        private let names = Mutex<[String]>([])
        var all: [String] { names.withLock { $0 } }
        func append(_ name: String) { names.withLock { $0.append(name) } }
    }

    /// Holds a request of `device` whose wait lasts ten minutes unless cut short, and records its
    /// name in `ended` when it ends.
    private func hold(
        _ name: String, of device: String, in held: HeldRequests, ended: Record
    ) -> Task<Void, Never> {
        Task {
            await held.holding(device) { hold in
                await hold.wait { try? await Task.sleep(for: .seconds(600)) }
            }
            ended.append(name)
        }
    }

    private func waitUntil(_ device: String, holds count: Int, in held: HeldRequests) async throws {
        _ = try await Wait.until("\(device) to hold \(count)", timeout: .seconds(30)) {
            held.count(of: device) == count ? true : nil
        }
    }

    func test_aDevicePastItsBound_hasItsOldestHoldCutShort_andNothingElse() async throws {
        let held = HeldRequests(perDevice: 2)
        let ended = Record()
        let first = hold("a1", of: "a", in: held, ended: ended)
        try await waitUntil("a", holds: 1, in: held)
        let second = hold("a2", of: "a", in: held, ended: ended)
        try await waitUntil("a", holds: 2, in: held)
        let other = hold("b1", of: "b", in: held, ended: ended)
        try await waitUntil("b", holds: 1, in: held)

        let third = hold("a3", of: "a", in: held, ended: ended)
        _ = try await Wait.until("the oldest hold to end", timeout: .seconds(30)) {
            ended.all.isEmpty ? nil : true
        }
        await first.value
        XCTAssertEqual(ended.all, ["a1"], "only the oldest hold of the device past its bound ended")
        XCTAssertEqual(held.count(of: "a"), 2)
        XCTAssertEqual(held.count(of: "b"), 1)

        for task in [second, third, other] { task.cancel() }
        for task in [second, third, other] { await task.value }
        XCTAssertEqual(held.count(of: "a"), 0, "every hold is released when its request ends")
        XCTAssertEqual(held.count(of: "b"), 0)
    }

    func test_aHoldCutShortBeforeItWaits_doesNotWaitAtAll() async throws {
        let held = HeldRequests(perDevice: 1)
        let ended = Record()
        let newerWaits = Record()
        let older = Task {
            await held.holding("a") { hold in
                let newer = Task {
                    await held.holding("a") { hold in
                        await hold.wait {
                            newerWaits.append("a2")
                            try? await Task.sleep(for: .seconds(600))
                        }
                    }
                }
                _ = try? await Wait.until("the newer hold to wait", timeout: .seconds(30)) {
                    newerWaits.all.isEmpty ? nil : true
                }
                await hold.wait { try? await Task.sleep(for: .seconds(600)) }
                ended.append("a1")
                newer.cancel()
                await newer.value
            }
        }
        _ = try await Wait.until("the older hold, cut short before it waited, to end", timeout: .seconds(30)) {
            ended.all == ["a1"] ? true : nil
        }
        await older.value
        XCTAssertEqual(held.count(of: "a"), 0)
    }
}
