import StarlingCore
import XCTest

@testable import StarlingAgent

final class BackoffTests: XCTestCase {
    func test_nextDelay_staysWithinTheCappedExponentialCeiling() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(10), generator: SeededRNG(seed: 7))
        for attempt in 0..<30 {
            let ceiling = backoff.ceiling(attempt: attempt)
            XCTAssertEqual(ceiling, min(.seconds(10), .milliseconds(100) * (1 << attempt)))
            let delay = backoff.nextDelay()
            XCTAssertGreaterThanOrEqual(delay, .zero)
            XCTAssertLessThanOrEqual(delay, ceiling)
        }
        XCTAssertEqual(backoff.ceiling(attempt: 1_000), .seconds(10))
    }

    func test_sameSeed_givesTheSameSchedule() {
        var first = Backoff(generator: SeededRNG(seed: 42))
        var second = Backoff(generator: SeededRNG(seed: 42))
        let a = (0..<12).map { _ in first.nextDelay() }
        let b = (0..<12).map { _ in second.nextDelay() }
        XCTAssertEqual(a, b)
        XCTAssertGreaterThan(Set(a).count, 1, "full jitter must vary the delays")
    }

    func test_reset_startsTheScheduleOver() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(10), generator: SeededRNG(seed: 1))
        for _ in 0..<8 { _ = backoff.nextDelay() }
        backoff.reset()
        XCTAssertEqual(backoff.attempt, 0)
        XCTAssertLessThanOrEqual(backoff.nextDelay(), .milliseconds(100))
    }
}
