import Foundation
import XCTest

@testable import StarlingAggregator

/// The iteration lifecycle, driven by hand-fed ticks on a fixed clock.
final class IterationStateMachineTests: XCTestCase {
    let start = Date(timeIntervalSince1970: 1_000_000)

    func machine(
        clients: Int = 2, minClients: Int = 2, invited: Int? = nil, deadline: TimeInterval = 60
    ) -> IterationStateMachine {
        IterationStateMachine(
            configuration: .init(
                clients: clients, minClients: minClients, invited: invited ?? clients, deadlineSeconds: deadline,
                seed: 42),
            startedAt: start)
    }

    func test_overSelection_invitesMoreDevices_andAggregatesAtClientsUpdatesWithoutTheRest() throws {
        var machine = machine(clients: 2, minClients: 2, invited: 3)
        let action = machine.tick(now: start.addingTimeInterval(1), eligible: ["a", "b", "c", "d"])
        guard case .issueTasks(let cohort, _) = action else { return XCTFail("\(String(describing: action))") }
        XCTAssertEqual(cohort.count, 3, "⌈2 × 1.5⌉ devices are invited")
        XCTAssertNil(machine.updateStored(from: cohort[0]).1)
        XCTAssertEqual(machine.updateStored(from: cohort[1]).1, .aggregate(contributors: [cohort[0], cohort[1]]))
        XCTAssertEqual(machine.admission(of: cohort[2]), .closed, "the straggler's update comes too late")
    }

    func test_tick_withTooFewEligible_waitsWithoutAction() {
        var machine = machine()
        XCTAssertNil(machine.tick(now: start.addingTimeInterval(10), eligible: ["a"]))
        XCTAssertEqual(machine.state, .waitingForClients(until: start.addingTimeInterval(60)))
    }

    func test_tick_withEnoughEligible_issuesTasksToAtMostClientsDevices() throws {
        var machine = machine(clients: 2, minClients: 1)
        let now = start.addingTimeInterval(5)
        let action = machine.tick(now: now, eligible: ["d", "c", "b", "a"])
        guard case .issueTasks(let cohort, let deadline) = action else {
            return XCTFail("expected tasks, got \(String(describing: action))")
        }
        XCTAssertEqual(cohort.count, 2)
        XCTAssertEqual(Set(cohort).count, 2)
        XCTAssertEqual(deadline, now.addingTimeInterval(60))
    }

    func test_cohortSelection_isDeterministicForASeed_andIgnoresInputOrder() {
        var first = machine(clients: 3, minClients: 1)
        var second = machine(clients: 3, minClients: 1)
        let a = first.tick(now: start, eligible: ["a", "b", "c", "d", "e", "f"])
        let b = second.tick(now: start, eligible: ["f", "e", "d", "c", "b", "a"])
        XCTAssertEqual(a, b)
    }

    func test_waitingPastTheDeadline_failsNamingTheShortfall() {
        var machine = machine(minClients: 3)
        let action = machine.tick(now: start.addingTimeInterval(60), eligible: ["a"])
        XCTAssertEqual(action, .fail(reason: "only 1 of 3 required devices were eligible before the deadline"))
    }

    func test_everyCohortMemberSubmitting_aggregatesBeforeTheDeadline() {
        var machine = machine()
        _ = machine.tick(now: start, eligible: ["a", "b"])
        XCTAssertEqual(machine.updateStored(from: "a").1, nil)
        let (admission, action) = machine.updateStored(from: "b")
        XCTAssertEqual(admission, .accepted)
        guard case .aggregate(let contributors) = action else { return XCTFail("expected aggregation") }
        XCTAssertEqual(Set(contributors), ["a", "b"])
        XCTAssertEqual(machine.admission(of: "a"), .closed)
    }

    func test_deadlineWithMinClientsUpdates_aggregatesThoseWhoSubmitted() {
        var machine = machine(clients: 3, minClients: 2)
        _ = machine.tick(now: start, eligible: ["a", "b", "c"])
        let cohort = machine.cohort
        _ = machine.updateStored(from: cohort[0])
        _ = machine.updateStored(from: cohort[1])
        XCTAssertNil(machine.tick(now: start.addingTimeInterval(59), eligible: []))
        XCTAssertEqual(
            machine.tick(now: start.addingTimeInterval(60), eligible: []),
            .aggregate(contributors: [cohort[0], cohort[1]]))
    }

    func test_deadlineShortOfMinClients_failsTheIteration() {
        var machine = machine(clients: 2, minClients: 2)
        _ = machine.tick(now: start, eligible: ["a", "b"])
        _ = machine.updateStored(from: "a")
        let action = machine.tick(now: start.addingTimeInterval(61), eligible: ["a", "b"])
        XCTAssertEqual(action, .fail(reason: "only 1 of 2 required updates arrived before the deadline"))
        XCTAssertEqual(machine.admission(of: "b"), .closed)
    }

    func test_admission_refusesOutsidersAndDuplicates() {
        var machine = machine(clients: 2, minClients: 1)
        _ = machine.tick(now: start, eligible: ["a", "b"])
        XCTAssertEqual(machine.admission(of: "z"), .notInCohort)
        _ = machine.updateStored(from: "a")
        XCTAssertEqual(machine.admission(of: "a"), .duplicate)
        XCTAssertEqual(machine.updateStored(from: "a").0, .duplicate)
    }

    func test_aggregationOutcome_endsTheIteration() {
        var machine = machine(clients: 1, minClients: 1)
        _ = machine.tick(now: start, eligible: ["a"])
        _ = machine.updateStored(from: "a")
        var failing = machine
        machine.aggregationSucceeded()
        XCTAssertEqual(machine.state, .completed)
        XCTAssertEqual(failing.aggregationFailed(reason: "disk full"), .fail(reason: "disk full"))
    }
}
