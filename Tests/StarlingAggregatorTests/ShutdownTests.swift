import Foundation
import StarlingProtocol
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Graceful shutdown does not wait out held long-polls.
final class ShutdownTests: XCTestCase {
    func test_gracefulShutdown_answersHeldWatchesAtOnce() async throws {
        let aggregator = try await TestAggregator.start()
        let device = try await aggregator.enroll()
        let current = try await device.watch()
        async let held = device.watch(revision: current.revision, wait: 50)
        _ = try await Wait.until("the watch to be held", timeout: .seconds(10), interval: .milliseconds(10)) {
            await aggregator.broadcasterWaiters > 0 ? true : nil
        }
        let stopping = ContinuousClock.now
        do {
            try await aggregator.stop()
            let answer = try await held
            XCTAssertEqual(answer.revision, current.revision)
            XCTAssertLessThan(ContinuousClock.now - stopping, .seconds(3), "shutdown waited out the long-poll")
        } catch {
            XCTFail("the held watch was not answered as the aggregator stopped: \(error)")
        }
        await device.client.shutdown()
    }
}
