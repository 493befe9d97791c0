import StarlingCore
import XCTest

/// The statistics experiments decide with: the two-proportion z-test and Wilson interval against
/// their formulas worked by hand, and Thompson sampling's regret against an oracle in a simulated
/// fleet, with and without fleet priors.
final class ExperimentStatisticsTests: XCTestCase {
    func test_twoProportionTest_matchesTheFormula() throws {
        let test = try XCTUnwrap(
            TwoProportionTest(controlSuccesses: 45, controlTrials: 100, candidateSuccesses: 60, candidateTrials: 100))
        XCTAssertEqual(test.difference, 0.15, accuracy: 1e-12)
        XCTAssertEqual(test.z, 2.123_977, accuracy: 1e-5)
        XCTAssertEqual(test.pValue, 0.033_672, accuracy: 1e-5)
        XCTAssertEqual(test.low, 0.013_153, accuracy: 1e-5)
        XCTAssertEqual(test.high, 0.286_847, accuracy: 1e-5)
        let same = try XCTUnwrap(
            TwoProportionTest(controlSuccesses: 10, controlTrials: 10, candidateSuccesses: 5, candidateTrials: 5))
        XCTAssertEqual(same.pValue, 1, "no variance: no evidence of a difference")
        XCTAssertNil(
            TwoProportionTest(controlSuccesses: 0, controlTrials: 0, candidateSuccesses: 1, candidateTrials: 2))
        XCTAssertNil(
            TwoProportionTest(controlSuccesses: 3, controlTrials: 2, candidateSuccesses: 1, candidateTrials: 2))
    }

    func test_wilsonInterval_matchesTheFormula() throws {
        let interval = try XCTUnwrap(TwoProportionTest.wilson(successes: 8, trials: 10))
        XCTAssertEqual(interval.low, 0.490_162, accuracy: 1e-5)
        XCTAssertEqual(interval.high, 0.943_318, accuracy: 1e-5)
        XCTAssertNil(TwoProportionTest.wilson(successes: 0, trials: 0))
    }

    func test_betaDraws_haveTheRightMean() {
        var random = SeededRNG(seed: 3)
        for (a, b) in [(2.0, 5.0), (0.5, 0.5), (30.0, 10.0)] {
            let draws = (0..<20_000).map { _ in ThompsonSampling.beta(a, b, using: &random) }
            XCTAssertEqual(draws.reduce(0, +) / 20_000, a / (a + b), accuracy: 0.01, "Beta(\(a), \(b))")
        }
    }

    /// Eight devices each choose among three arms (right 60, 70 and 75 % of the time) for 2,000
    /// requests with feedback. Thompson sampling's regret (right answers lost against always choosing
    /// the best arm) is a small part of a uniform choice's, it shrinks as devices learn, and fleet
    /// priors refreshed every 100 requests from the summed counts lower it further.
    func test_thompsonSampling_regretAgainstAnOracle() {
        let chances = [0.6, 0.7, 0.75]
        let (devices, requests) = (8, 2_000)
        func simulate(sharing: Bool, uniform: Bool = false, seed: UInt64) -> (
            total: Double, early: Double, late: Double
        ) {
            var random = SeededRNG(seed: seed)
            var local = [[(successes: Double, failures: Double)]](
                repeating: Array(repeating: (0, 0), count: chances.count), count: devices)
            var priors = [(successes: Double, failures: Double)](repeating: (0, 0), count: chances.count)
            var (total, early, late) = (0.0, 0.0, 0.0)
            for step in 0..<requests {
                if sharing, step % 100 == 0 {
                    // The fleet's counts, scaled to one device's share, as the aggregator sends them.
                    priors = (0..<chances.count).map { arm in
                        let summed = local.reduce((0.0, 0.0)) { ($0.0 + $1[arm].successes, $0.1 + $1[arm].failures) }
                        return (summed.0 / Double(devices), summed.1 / Double(devices))
                    }
                }
                for device in 0..<devices {
                    let arms = (0..<chances.count).map { arm in
                        (
                            successes: local[device][arm].successes + priors[arm].successes,
                            failures: local[device][arm].failures + priors[arm].failures
                        )
                    }
                    let arm =
                        uniform
                        ? Int.random(in: 0..<chances.count, using: &random)
                        : ThompsonSampling.choose(arms, using: &random)
                    if Double.random(in: 0..<1, using: &random) < chances[arm] {
                        local[device][arm].successes += 1
                    } else {
                        local[device][arm].failures += 1
                    }
                    let regret = chances.max()! - chances[arm]
                    total += regret
                    if step < 500 { early += regret }
                    if step >= requests - 500 { late += regret }
                }
            }
            return (total, early, late)
        }
        let uniform = simulate(sharing: false, uniform: true, seed: 1)
        let alone = simulate(sharing: false, seed: 1)
        let shared = simulate(sharing: true, seed: 1)
        print(
            "regret over \(devices * requests) requests: uniform \(uniform.total), Thompson \(alone.total), "
                + "Thompson with fleet priors \(shared.total)")
        XCTAssertLessThan(alone.total, 0.35 * uniform.total)
        XCTAssertLessThan(alone.late, 0.5 * alone.early, "regret per request shrinks as devices learn")
        XCTAssertLessThan(shared.total, alone.total, "fleet priors lower the regret")
    }
}
