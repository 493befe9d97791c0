import Foundation
import XCTest

@testable import StarlingCore

final class LearningRateScheduleTests: XCTestCase {
    private func rates(_ schedule: LearningRateSchedule, base: Double, totalRounds: Int) throws -> [Double] {
        try (1...totalRounds).map { round in
            try schedule.learningRate(base: base, round: round, totalRounds: totalRounds)
        }
    }

    func testConstantIsTheBaseEveryRound() throws {
        XCTAssertEqual(try rates(.constant, base: 0.05, totalRounds: 3), [0.05, 0.05, 0.05])
    }

    func testCosineWarmsUpLinearlyThenDecaysToTheFloorAtTheLastRound() throws {
        let rates = try rates(.cosine(warmupRounds: 4, floor: 0.1), base: 0.2, totalRounds: 14)
        XCTAssertEqual(rates[0], 0.05, accuracy: 1e-15)  // 0.2 · 1/4
        XCTAssertEqual(rates[1], 0.1, accuracy: 1e-15)
        XCTAssertEqual(rates[3], 0.2, accuracy: 1e-15)  // warm-up ends at the base
        XCTAssertEqual(rates[8], 0.02 + 0.18 * 0.5, accuracy: 1e-15)  // halfway through the decay
        XCTAssertEqual(rates[13], 0.02, accuracy: 1e-15)  // floor · base
        XCTAssertEqual(rates[4], 0.02 + 0.18 * (1 + cos(Double.pi / 10)) / 2, accuracy: 1e-15)
        XCTAssertEqual(Array(rates[4...]), rates[4...].sorted(by: >))  // decreasing after the warm-up
    }

    func testCosineWithoutWarmUpStartsAtTheBase() throws {
        let rates = try rates(.cosine(warmupRounds: 0, floor: 0), base: 1, totalRounds: 5)
        XCTAssertEqual(rates[0], 1)
        XCTAssertEqual(rates[2], 0.5, accuracy: 1e-15)
        XCTAssertEqual(rates[4], 0, accuracy: 1e-15)
        XCTAssertEqual(try self.rates(.cosine(warmupRounds: 0, floor: 0.3), base: 2, totalRounds: 1), [2])
    }

    func testStepDecayMultipliesByTheFactorEveryKRounds() throws {
        XCTAssertEqual(
            try rates(.step(every: 3, factor: 0.5), base: 1, totalRounds: 7), [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
        XCTAssertEqual(try rates(.step(every: 1, factor: 1), base: 0.3, totalRounds: 2), [0.3, 0.3])
    }

    func testOutOfRangeBasesRoundsAndParametersAreRejected() {
        func failure(_ schedule: LearningRateSchedule, base: Double = 1, round: Int = 1, totalRounds: Int = 10)
            -> LearningRateScheduleError?
        {
            thrownError { () throws(LearningRateScheduleError) in
                try schedule.learningRate(base: base, round: round, totalRounds: totalRounds)
            }
        }
        XCTAssertEqual(failure(.constant, base: 0), .invalidBase(0))
        XCTAssertEqual(failure(.constant, base: .infinity), .invalidBase(.infinity))
        XCTAssertEqual(failure(.constant, round: 0), .roundOutOfRange(round: 0, totalRounds: 10))
        XCTAssertEqual(failure(.constant, round: 11), .roundOutOfRange(round: 11, totalRounds: 10))
        XCTAssertEqual(failure(.constant, round: 1, totalRounds: 0), .roundOutOfRange(round: 1, totalRounds: 0))
        let invalid: [LearningRateSchedule] = [
            .cosine(warmupRounds: 10, floor: 0), .cosine(warmupRounds: -1, floor: 0),
            .cosine(warmupRounds: 2, floor: 1.5), .cosine(warmupRounds: 2, floor: -0.1),
            .cosine(warmupRounds: 2, floor: .nan),
            .step(every: 0, factor: 0.5), .step(every: 2, factor: 0), .step(every: 2, factor: 1.5),
        ]
        for schedule in invalid {
            guard case .invalidSchedule = failure(schedule) else { return XCTFail("\(schedule) was accepted") }
        }
    }

    func testScheduleEncodesAsJSONAndBack() throws {
        let schedules: [LearningRateSchedule] = [
            .constant, .cosine(warmupRounds: 3, floor: 0.1), .step(every: 5, factor: 0.5),
        ]
        for schedule in schedules {
            let data = try JSONEncoder().encode(schedule)
            XCTAssertEqual(try JSONDecoder().decode(LearningRateSchedule.self, from: data), schedule)
        }
    }
}
