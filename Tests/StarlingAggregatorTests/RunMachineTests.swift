import Foundation
import SecureAggregation
import XCTest

@testable import StarlingAggregator

/// A run's lifecycle, driven by hand-fed events on a fixed clock: rounds, collection, SecAgg+
/// stages, results, and what a restart does to each phase.
final class RunMachineTests: XCTestCase {
    let start = Date(timeIntervalSince1970: 1_000_000)

    func machine(
        rounds: Int = 1, clients: Int = 2, minClients: Int = 2, invited: Int? = nil, deadline: TimeInterval = 60,
        secureStageSeconds: TimeInterval? = nil
    ) -> RunMachine {
        RunMachine(
            configuration: .init(
                rounds: rounds, clients: clients, minClients: minClients, invited: invited ?? clients,
                deadlineSeconds: deadline, secureStageSeconds: secureStageSeconds, seed: 42),
            baseVersion: 1, startedAt: start)
    }

    /// A machine whose first round is collecting from `eligible`, and its cohort.
    func collecting(_ machine: RunMachine, eligible: [String] = ["a", "b"]) -> RunMachine {
        var machine = machine
        _ = machine.tick(now: start, eligible: eligible)
        return machine
    }

    func test_overSelection_invitesMoreDevices_andAggregatesAtClientsUpdatesWithoutTheRest() throws {
        var machine = machine(clients: 2, minClients: 2, invited: 3)
        let actions = machine.tick(now: start.addingTimeInterval(1), eligible: ["a", "b", "c", "d"])
        guard case .issueTasks(let cohort, _) = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(cohort.count, 3, "⌈2 × 1.5⌉ devices are invited")
        XCTAssertEqual(machine.contributionStored(from: cohort[0], at: start).1, [])
        XCTAssertEqual(
            machine.contributionStored(from: cohort[1], at: start).1, [.combine(contributors: [cohort[0], cohort[1]])])
        XCTAssertEqual(machine.admission(of: cohort[2]), .closed, "the straggler's update comes too late")
    }

    func test_tick_withTooFewEligible_waitsWithoutAction() {
        var machine = machine()
        XCTAssertEqual(machine.tick(now: start.addingTimeInterval(10), eligible: ["a"]), [])
        XCTAssertEqual(machine.phase, .waitingForDevices(until: start.addingTimeInterval(60)))
        XCTAssertEqual(machine.stage, .waitingForDevices)
    }

    func test_tick_withEnoughEligible_issuesTasksToAtMostClientsDevices() throws {
        var machine = machine(clients: 2, minClients: 1)
        let now = start.addingTimeInterval(5)
        let actions = machine.tick(now: now, eligible: ["d", "c", "b", "a"])
        guard case .issueTasks(let cohort, let deadline) = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(cohort.count, 2)
        XCTAssertEqual(Set(cohort).count, 2)
        XCTAssertEqual(deadline, now.addingTimeInterval(60))
        XCTAssertEqual(machine.collectionDeadline, deadline)
    }

    func test_aDeviceTimeout_closesARoundHoldingMinClients_withoutWaitingForTheSilentDevices() {
        var machine = RunMachine(
            configuration: .init(
                rounds: 1, clients: 3, minClients: 2, invited: 3, deadlineSeconds: 60, secureStageSeconds: nil,
                seed: 42, deviceSeconds: 10),
            baseVersion: 1, startedAt: start)
        _ = machine.tick(now: start, eligible: ["a", "b", "c"])
        _ = machine.contributionStored(from: "a", at: start)
        XCTAssertEqual(machine.tick(now: start.addingTimeInterval(9), eligible: []), [])
        XCTAssertEqual(
            machine.tick(now: start.addingTimeInterval(11), eligible: []), [],
            "one update is short of min_clients: the round waits on")
        _ = machine.contributionStored(from: "b", at: start.addingTimeInterval(11))
        XCTAssertEqual(
            machine.tick(now: start.addingTimeInterval(12), eligible: []), [.combine(contributors: ["a", "b"])],
            "the silent device no longer holds the round")
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
        let actions = machine.tick(now: start.addingTimeInterval(60), eligible: ["a"])
        XCTAssertEqual(actions, [.fail(reason: "only 1 of 3 required devices were eligible before the deadline")])
        XCTAssertTrue(machine.isFinished)
    }

    func test_everyCohortMemberSubmitting_aggregatesBeforeTheDeadline() {
        var machine = collecting(machine())
        XCTAssertEqual(machine.contributionStored(from: "a", at: start).1, [])
        let (admission, actions) = machine.contributionStored(from: "b", at: start)
        XCTAssertEqual(admission, .accepted)
        guard case .combine(let contributors) = actions.first else { return XCTFail("expected aggregation") }
        XCTAssertEqual(Set(contributors), ["a", "b"])
        XCTAssertEqual(machine.admission(of: "a"), .closed)
        XCTAssertEqual(machine.stage, .aggregating)
    }

    func test_deadlineWithMinClientsUpdates_aggregatesThoseWhoSubmitted() {
        var machine = collecting(machine(clients: 3, minClients: 2), eligible: ["a", "b", "c"])
        let cohort = machine.cohort
        _ = machine.contributionStored(from: cohort[0], at: start)
        _ = machine.contributionStored(from: cohort[1], at: start)
        XCTAssertEqual(machine.tick(now: start.addingTimeInterval(59), eligible: []), [])
        XCTAssertEqual(
            machine.tick(now: start.addingTimeInterval(60), eligible: []),
            [.combine(contributors: [cohort[0], cohort[1]])])
    }

    func test_deadlineShortOfMinClients_failsTheRound() {
        var machine = collecting(machine(clients: 2, minClients: 2))
        _ = machine.contributionStored(from: "a", at: start)
        let actions = machine.tick(now: start.addingTimeInterval(61), eligible: ["a", "b"])
        XCTAssertEqual(actions, [.fail(reason: "only 1 of 2 required updates arrived before the deadline")])
        XCTAssertEqual(machine.admission(of: "b"), .closed)
    }

    func test_admission_refusesOutsidersAndDuplicates() {
        var machine = collecting(machine(clients: 2, minClients: 1))
        XCTAssertEqual(machine.admission(of: "z"), .notInCohort)
        _ = machine.contributionStored(from: "a", at: start)
        XCTAssertEqual(machine.admission(of: "a"), .duplicate)
        XCTAssertEqual(machine.contributionStored(from: "a", at: start).0, .duplicate)
    }

    func test_aResult_startsTheNextRoundFromTheNewVersion_andTheLastCompletesTheRun() {
        var machine = collecting(machine(rounds: 2, clients: 1, minClients: 1), eligible: ["a"])
        _ = machine.contributionStored(from: "a", at: start)
        let later = start.addingTimeInterval(5)
        XCTAssertEqual(machine.resultRecorded(version: 7, at: later), [])
        XCTAssertEqual(machine.round, 2)
        XCTAssertEqual(machine.baseVersion, 7)
        XCTAssertEqual(machine.cohort, [])
        XCTAssertEqual(machine.phase, .waitingForDevices(until: later.addingTimeInterval(60)))
        _ = machine.tick(now: later, eligible: ["a"])
        _ = machine.contributionStored(from: "a", at: later)
        XCTAssertEqual(machine.resultRecorded(version: 8, at: later), [.complete])
        XCTAssertEqual(machine.phase, .completed)
    }

    func test_aFailedAggregation_failsTheRun_andOnlyWhileAggregating() {
        var machine = collecting(machine(clients: 1, minClients: 1), eligible: ["a"])
        var early = machine
        XCTAssertEqual(early.aggregationFailed(reason: "disk full"), [], "nothing is being aggregated yet")
        _ = machine.contributionStored(from: "a", at: start)
        XCTAssertEqual(machine.aggregationFailed(reason: "disk full"), [.fail(reason: "disk full")])
    }

    func test_secureRounds_walkTheFourStages_closingEachAtItsDeadlineOrWhenAnswered_thenUnmask() {
        var machine = collecting(machine(clients: 2, minClients: 2, secureStageSeconds: 10))
        XCTAssertEqual(machine.stage, .advertiseKeys)
        _ = machine.contributionStored(from: "a", at: start)
        XCTAssertEqual(
            machine.contributionStored(from: "b", at: start).1, [.closeSecureStage],
            "every key advertisement closes key advertising")
        XCTAssertEqual(machine.phase, .secureStage(.shareKeys, deadline: start.addingTimeInterval(10)))
        XCTAssertEqual(machine.admission(of: "a"), .closed, "no plain upload is taken any more")
        XCTAssertEqual(machine.tick(now: start.addingTimeInterval(9), eligible: []), [])
        XCTAssertEqual(machine.tick(now: start.addingTimeInterval(10), eligible: []), [.closeSecureStage])
        XCTAssertEqual(machine.stage, .maskedInput)
        XCTAssertEqual(machine.secureStageAnswered(at: start.addingTimeInterval(11)), [.closeSecureStage])
        XCTAssertEqual(machine.stage, .unmasking)
        XCTAssertEqual(machine.secureStageAnswered(at: start.addingTimeInterval(12)), [.closeSecureStage, .unmask])
        XCTAssertEqual(machine.stage, .aggregating)
        XCTAssertEqual(machine.secureStageAnswered(at: start.addingTimeInterval(13)), [], "nothing is left to close")
    }

    func test_secureKeyAdvertisingShortOfMinClients_failsTheRound() {
        var machine = collecting(machine(clients: 3, minClients: 3, secureStageSeconds: 10), eligible: ["a", "b", "c"])
        _ = machine.contributionStored(from: machine.cohort[0], at: start)
        XCTAssertEqual(
            machine.tick(now: start.addingTimeInterval(60), eligible: []),
            [.fail(reason: "only 1 of 3 required updates arrived before the deadline")])
    }

    func test_restartWhileCollectingPlainUpdates_keepsTheCohortAndGivesFullTime_forTheStoredUpdatesToBeReplayed() {
        var machine = collecting(machine(clients: 2, minClients: 2))
        let cohort = machine.cohort
        _ = machine.contributionStored(from: "a", at: start)
        let restart = start.addingTimeInterval(30)
        XCTAssertEqual(machine.restarted(at: restart), [])
        XCTAssertEqual(machine.cohort, cohort)
        XCTAssertEqual(machine.attempt, 1, "a plain round goes on where it stood")
        XCTAssertEqual(machine.phase, .collecting(deadline: restart.addingTimeInterval(60), received: [], failed: [:]))
        XCTAssertEqual(machine.contributionStored(from: "a", at: restart).1, [], "the stored update, replayed")
        XCTAssertEqual(machine.contributionStored(from: "b", at: restart).1, [.combine(contributors: ["a", "b"])])
    }

    func test_restartWhileAggregatingPlainUpdates_combinesTheSameContributorsAgain() {
        var machine = collecting(machine(clients: 2, minClients: 2))
        _ = machine.contributionStored(from: "a", at: start)
        _ = machine.contributionStored(from: "b", at: start)
        XCTAssertEqual(machine.restarted(at: start.addingTimeInterval(1)), [.combine(contributors: ["a", "b"])])
    }

    func test_restartInAnySecureStage_redoesTheRoundWithTheSameCohortAsANewAttempt() {
        var secure = collecting(machine(clients: 2, minClients: 2, secureStageSeconds: 10))
        let cohort = secure.cohort
        _ = secure.contributionStored(from: "a", at: start)
        var moments = [secure]
        _ = secure.contributionStored(from: "b", at: start)
        moments.append(secure)
        _ = secure.secureStageAnswered(at: start)
        moments.append(secure)
        _ = secure.secureStageAnswered(at: start)
        moments.append(secure)
        _ = secure.secureStageAnswered(at: start)
        moments.append(secure)
        XCTAssertEqual(
            moments.map(\.stage), [.advertiseKeys, .shareKeys, .maskedInput, .unmasking, .aggregating])
        let restart = start.addingTimeInterval(100)
        for var machine in moments {
            let revision = machine.revision
            XCTAssertEqual(
                machine.restarted(at: restart),
                [.issueTasks(cohort: cohort.devices, deadline: restart.addingTimeInterval(60))])
            XCTAssertEqual(machine.attempt, 2)
            XCTAssertEqual(machine.stage, .advertiseKeys)
            XCTAssertEqual(machine.admission(of: "a"), .accepted, "every device of the cohort starts over")
            XCTAssertGreaterThan(machine.revision, revision)
        }
    }

    func test_restartWhileWaiting_givesTheDevicesFullTimeAgain() {
        var machine = machine()
        let restart = start.addingTimeInterval(59)
        XCTAssertEqual(machine.restarted(at: restart), [])
        XCTAssertEqual(machine.tick(now: start.addingTimeInterval(61), eligible: []), [])
        XCTAssertEqual(machine.phase, .waitingForDevices(until: restart.addingTimeInterval(60)))
    }

    func test_aFinishedRun_ignoresRestarts() {
        var machine = machine(minClients: 3)
        _ = machine.tick(now: start.addingTimeInterval(60), eligible: [])
        let failed = machine
        XCTAssertEqual(machine.restarted(at: start.addingTimeInterval(61)), [])
        XCTAssertEqual(machine, failed)
    }

    func test_theMachine_survivesTheDatabasesJSONRoundTrip_inEveryPhase() throws {
        var secure = collecting(machine(rounds: 3, clients: 2, minClients: 2, secureStageSeconds: 10))
        _ = secure.clientFailed("a", reason: .diverged, at: start)
        var machines = [machine(), secure]
        _ = secure.contributionStored(from: "b", at: start)
        machines.append(secure)
        var plain = collecting(machine())
        _ = plain.contributionStored(from: "a", at: start)
        _ = plain.contributionStored(from: "b", at: start)
        machines.append(plain)
        _ = plain.aggregationFailed(reason: "disk full")
        machines.append(plain)
        for machine in machines {
            XCTAssertEqual(try StoredColumn.roundTrip(machine), machine)
        }
    }
}
