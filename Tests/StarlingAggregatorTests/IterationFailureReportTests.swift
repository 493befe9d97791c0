import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// Failure reports in the iteration lifecycle: a device that cannot contribute counts as having
/// answered, so the iteration moves on without waiting for its deadline.
final class IterationFailureReportTests: XCTestCase {
    let start = Date(timeIntervalSince1970: 2_000_000)

    private func collecting(clients: Int, minClients: Int) -> (IterationStateMachine, [String]) {
        var machine = IterationStateMachine(
            configuration: .init(clients: clients, minClients: minClients, deadlineSeconds: 60, seed: 7),
            startedAt: start)
        _ = machine.tick(now: start, eligible: (0..<clients).map { "d\($0)" })
        return (machine, machine.cohort)
    }

    func test_aFailureReport_isAcceptedOnce_andRefusesTheDevicesLaterUpdate() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        let (admission, action) = machine.clientFailed(cohort[0], reason: .diverged)
        XCTAssertEqual(admission, .accepted)
        XCTAssertNil(action, "two devices have not answered yet")
        XCTAssertEqual(machine.clientFailed(cohort[0], reason: .diverged).0, .duplicate)
        XCTAssertEqual(machine.updateStored(from: cohort[0]).0, .duplicate)
        XCTAssertEqual(machine.admission(of: cohort[0]), .duplicate)
        XCTAssertEqual(machine.clientFailed("outsider", reason: .noData).0, .notInCohort)
    }

    func test_anUpdatedDevice_cannotReportAFailureAfterwards() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        _ = machine.updateStored(from: cohort[1])
        XCTAssertEqual(machine.clientFailed(cohort[1], reason: .failed).0, .duplicate)
    }

    func test_lastAnswerBeingAFailure_aggregatesTheOthersBeforeTheDeadline() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        XCTAssertNil(machine.updateStored(from: cohort[0]).1)
        XCTAssertNil(machine.updateStored(from: cohort[2]).1)
        let (_, action) = machine.clientFailed(cohort[1], reason: .noData)
        XCTAssertEqual(action, .aggregate(contributors: [cohort[0], cohort[2]]))
        XCTAssertEqual(machine.admission(of: cohort[1]), .closed)
    }

    func test_lastAnswerBeingAnUpdate_afterAFailure_aggregatesAtOnce() {
        var (machine, cohort) = collecting(clients: 2, minClients: 1)
        XCTAssertNil(machine.clientFailed(cohort[0], reason: .diverged).1)
        XCTAssertEqual(machine.updateStored(from: cohort[1]).1, .aggregate(contributors: [cohort[1]]))
    }

    func test_tooFewUpdatesOnceEveryoneAnswered_failsNamingTheReportedReasons() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        _ = machine.updateStored(from: cohort[0])
        _ = machine.clientFailed(cohort[1], reason: .diverged)
        let (_, action) = machine.clientFailed(cohort[2], reason: .noData)
        XCTAssertEqual(
            action,
            .fail(reason: "only 1 of 2 required updates: 2 of 3 devices reported failures (1 diverged, 1 no_data)"))
        XCTAssertEqual(machine.admission(of: cohort[0]), .closed)
    }

    func test_everyDeviceFailing_failsTheIteration() {
        var (machine, cohort) = collecting(clients: 2, minClients: 1)
        _ = machine.clientFailed(cohort[0], reason: .diverged)
        let (_, action) = machine.clientFailed(cohort[1], reason: .diverged)
        XCTAssertEqual(
            action, .fail(reason: "only 0 of 1 required updates: 2 of 2 devices reported failures (2 diverged)"))
    }

    func test_failuresBeforeTheDeadline_stillLetItAggregateWhatArrived() {
        var (machine, cohort) = collecting(clients: 4, minClients: 2)
        _ = machine.clientFailed(cohort[0], reason: .diverged)
        _ = machine.updateStored(from: cohort[1])
        _ = machine.updateStored(from: cohort[2])
        XCTAssertNil(machine.tick(now: start.addingTimeInterval(59), eligible: []))
        XCTAssertEqual(
            machine.tick(now: start.addingTimeInterval(60), eligible: []),
            .aggregate(contributors: [cohort[1], cohort[2]]))
    }

    func test_aReportBeforeTasksAreIssued_isNotInTheCohort() {
        var machine = IterationStateMachine(
            configuration: .init(clients: 2, minClients: 2, deadlineSeconds: 60, seed: 7), startedAt: start)
        XCTAssertEqual(machine.clientFailed("d0", reason: .diverged).0, .notInCohort)
    }
}
