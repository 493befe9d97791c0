import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// Graceful shutdown does not wait out held long-polls.
final class ShutdownTests: XCTestCase {
    func test_gracefulShutdown_answersHeldWatchesAtOnce() async throws {
        let aggregator = try await TestAggregator.start()
        let device = try await aggregator.enroll()
        let current = try await device.watch()
        async let held = device.watch(revision: current.revision, wait: 50)
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while await aggregator.broadcasterWaiters == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let stopping = ContinuousClock.now
        try await aggregator.stop()
        let answer = try await held
        XCTAssertEqual(answer.revision, current.revision)
        XCTAssertLessThan(ContinuousClock.now - stopping, .seconds(3), "shutdown waited out the long-poll")
        await device.client.shutdown()
    }
}
