import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// Failure reports in the round lifecycle: a device that cannot contribute counts as having
/// answered, so the round moves on without waiting for its deadline.
final class RunMachineFailureReportTests: XCTestCase {
    let start = Date(timeIntervalSince1970: 2_000_000)

    private func collecting(clients: Int, minClients: Int) -> (RunMachine, [String]) {
        var machine = RunMachine(
            configuration: .init(
                rounds: 1, clients: clients, minClients: minClients, invited: clients, deadlineSeconds: 60,
                secureStageSeconds: nil, seed: 7),
            baseVersion: 1, startedAt: start)
        _ = machine.tick(now: start, eligible: (0..<clients).map { "d\($0)" })
        return (machine, machine.cohort.devices)
    }

    func test_aFailureReport_isAcceptedOnce_andRefusesTheDevicesLaterUpdate() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        let (admission, action) = machine.clientFailed(cohort[0], reason: .diverged, at: start)
        XCTAssertEqual(admission, .accepted)
        XCTAssertEqual(action, [], "two devices have not answered yet")
        XCTAssertEqual(machine.clientFailed(cohort[0], reason: .diverged, at: start).0, .duplicate)
        XCTAssertEqual(machine.contributionStored(from: cohort[0], at: start).0, .duplicate)
        XCTAssertEqual(machine.admission(of: cohort[0]), .duplicate)
        XCTAssertEqual(machine.clientFailed("outsider", reason: .noData, at: start).0, .notInCohort)
    }

    func test_anUpdatedDevice_cannotReportAFailureAfterwards() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        _ = machine.contributionStored(from: cohort[1], at: start)
        XCTAssertEqual(machine.clientFailed(cohort[1], reason: .failed, at: start).0, .duplicate)
    }

    func test_lastAnswerBeingAFailure_aggregatesTheOthersBeforeTheDeadline() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        XCTAssertEqual(machine.contributionStored(from: cohort[0], at: start).1, [])
        XCTAssertEqual(machine.contributionStored(from: cohort[2], at: start).1, [])
        let (_, action) = machine.clientFailed(cohort[1], reason: .noData, at: start)
        XCTAssertEqual(action, [.combine(contributors: [cohort[0], cohort[2]])])
        XCTAssertEqual(machine.admission(of: cohort[1]), .closed)
    }

    func test_lastAnswerBeingAnUpdate_afterAFailure_aggregatesAtOnce() {
        var (machine, cohort) = collecting(clients: 2, minClients: 1)
        XCTAssertEqual(machine.clientFailed(cohort[0], reason: .diverged, at: start).1, [])
        XCTAssertEqual(machine.contributionStored(from: cohort[1], at: start).1, [.combine(contributors: [cohort[1]])])
    }

    func test_tooFewUpdatesOnceEveryoneAnswered_failsNamingTheReportedReasons() {
        var (machine, cohort) = collecting(clients: 3, minClients: 2)
        _ = machine.contributionStored(from: cohort[0], at: start)
        _ = machine.clientFailed(cohort[1], reason: .diverged, at: start)
        let (_, action) = machine.clientFailed(cohort[2], reason: .noData, at: start)
        XCTAssertEqual(
            action,
            [.fail(reason: "only 1 of 2 required updates: 2 of 3 devices reported failures (1 diverged, 1 no_data)")])
        XCTAssertEqual(machine.admission(of: cohort[0]), .closed)
    }

    func test_everyDeviceFailing_failsTheIteration() {
        var (machine, cohort) = collecting(clients: 2, minClients: 1)
        _ = machine.clientFailed(cohort[0], reason: .diverged, at: start)
        let (_, action) = machine.clientFailed(cohort[1], reason: .diverged, at: start)
        XCTAssertEqual(
            action, [.fail(reason: "only 0 of 1 required updates: 2 of 2 devices reported failures (2 diverged)")])
    }

    func test_failuresBeforeTheDeadline_stillLetItAggregateWhatArrived() {
        var (machine, cohort) = collecting(clients: 4, minClients: 2)
        _ = machine.clientFailed(cohort[0], reason: .diverged, at: start)
        _ = machine.contributionStored(from: cohort[1], at: start)
        _ = machine.contributionStored(from: cohort[2], at: start)
        XCTAssertEqual(machine.tick(now: start.addingTimeInterval(59), eligible: []), [])
        XCTAssertEqual(
            machine.tick(now: start.addingTimeInterval(60), eligible: []),
            [.combine(contributors: [cohort[1], cohort[2]])])
    }

    func test_aReportBeforeTasksAreIssued_isNotInTheCohort() {
        var machine = RunMachine(
            configuration: .init(
                rounds: 1, clients: 2, minClients: 2, invited: 2, deadlineSeconds: 60, secureStageSeconds: nil,
                seed: 7),
            baseVersion: 1, startedAt: start)
        XCTAssertEqual(machine.clientFailed("d0", reason: .diverged, at: start).0, .notInCohort)
    }
}
