import Foundation
import XCTest

@testable import StarlingAggregator

/// Buffered asynchronous runs (FedBuff) in the run machine: tasks for up to `clients` devices at
/// any time, a version every `size` updates, staleness counted in versions, late updates refused.
final class BufferedRunMachineTests: XCTestCase {
    let start = Date(timeIntervalSince1970: 3_000_000)

    func machine(rounds: Int = 3, clients: Int = 3, minClients: Int = 1, size: Int = 2, maxStaleness: Int = 1)
        -> RunMachine
    {
        RunMachine(
            configuration: .init(
                rounds: rounds, clients: clients, minClients: minClients, invited: clients, deadlineSeconds: 60,
                secureStageSeconds: nil, seed: 5, buffering: .init(size: size, maxStaleness: maxStaleness)),
            baseVersion: 1, startedAt: start)
    }

    func test_tasksGoToAtMostClientsDevicesAtOnce_andIdleDevicesGetOneAsOthersFinish() {
        var machine = machine(clients: 2)
        let first = machine.tick(now: start, eligible: ["a", "b", "c"])
        guard case .issueTasks(let granted, let deadline) = first.first else { return XCTFail("\(first)") }
        XCTAssertEqual(granted.count, 2)
        XCTAssertEqual(deadline, start.addingTimeInterval(60))
        XCTAssertEqual(machine.tick(now: start, eligible: ["a", "b", "c"]), [], "two devices train already")
        XCTAssertEqual(machine.contributionStored(from: granted[0], at: start).0, .accepted)
        let next = machine.tick(now: start, eligible: ["a", "b", "c"])
        guard case .issueTasks(let more, _) = next.first else { return XCTFail("\(next)") }
        XCTAssertEqual(more.count, 1)
        XCTAssertFalse(more.contains(granted[0]), "a device already in this buffer waits for the next version")
    }

    func test_everyBufferOfSizeUpdates_makesAVersion_andTasksStillOpenCarryOnAcrossIt() {
        var machine = machine(clients: 3, size: 2)
        _ = machine.tick(now: start, eligible: ["a", "b", "c"])
        _ = machine.contributionStored(from: "a", at: start)
        XCTAssertEqual(machine.contributionStored(from: "b", at: start).1, [.combine(contributors: ["a", "b"])])
        XCTAssertEqual(machine.staleness, ["a": 0, "b": 0])
        XCTAssertEqual(machine.resultRecorded(version: 2, at: start), [])
        XCTAssertEqual(machine.round, 2)
        XCTAssertEqual(machine.stage, .collecting)
        XCTAssertEqual(machine.grants["c"]?.round, 1, "c still trains from version 1")
        XCTAssertEqual(machine.admission(of: "c"), .accepted)
        _ = machine.contributionStored(from: "c", at: start)
        XCTAssertEqual(machine.staleness["c"], 1, "c's update is one version behind")
    }

    func test_anUpdateArrivingWhileTheFullBufferIsAggregated_isToBeSentAgain() {
        var machine = machine(clients: 3, size: 2)
        _ = machine.tick(now: start, eligible: ["a", "b", "c"])
        _ = machine.contributionStored(from: "a", at: start)
        _ = machine.contributionStored(from: "b", at: start)
        XCTAssertEqual(machine.admission(of: "c"), .busy, "c's task is still open")
        XCTAssertEqual(machine.admission(of: "z"), .closed)
        _ = machine.resultRecorded(version: 2, at: start)
        XCTAssertEqual(machine.admission(of: "c"), .accepted, "sent again, it lands in the next buffer")
    }

    func test_anUpdateMoreThanMaxStalenessVersionsBehind_isStale() {
        var machine = machine(rounds: 5, clients: 3, size: 1, maxStaleness: 1)
        _ = machine.tick(now: start, eligible: ["a", "b", "c"])
        for round in 1...2 {
            let device = ["a", "b"][round - 1]
            XCTAssertEqual(machine.contributionStored(from: device, at: start).1, [.combine(contributors: [device])])
            _ = machine.resultRecorded(version: round + 1, at: start)
        }
        XCTAssertEqual(machine.admission(of: "c"), .stale, "c trained from round 1; the run is at round 3")
        machine.grantEnded(for: "c")
        XCTAssertEqual(machine.admission(of: "c"), .notInCohort)
        let actions = machine.tick(now: start, eligible: ["c"])
        XCTAssertEqual(actions, [.issueTasks(cohort: ["c"], deadline: start.addingTimeInterval(60))])
        XCTAssertEqual(machine.grants["c"], .init(round: 3, baseVersion: 3, deadline: start.addingTimeInterval(60)))
    }

    func test_tasksPastTheirDeadline_areDropped_andABufferShortAtItsDeadline_closesWithMinClientsOrFails() {
        var closing = machine(clients: 3, minClients: 1, size: 3)
        _ = closing.tick(now: start, eligible: ["a", "b", "c"])
        _ = closing.contributionStored(from: "a", at: start)
        XCTAssertEqual(
            closing.tick(now: start.addingTimeInterval(60), eligible: []), [.combine(contributors: ["a"])])
        var failing = machine(clients: 3, minClients: 2, size: 3)
        _ = failing.tick(now: start, eligible: ["a", "b", "c"])
        XCTAssertEqual(
            failing.tick(now: start.addingTimeInterval(60), eligible: []),
            [.fail(reason: "only 0 of 2 required updates arrived before the deadline")])
        XCTAssertEqual(failing.grants, [:], "the tasks past their deadline were dropped")
    }

    func test_aRestart_keepsTheOpenTasksAndTheBuffer_andStoredUpdatesComeBackOnce() {
        var machine = machine(clients: 3, size: 3)
        _ = machine.tick(now: start, eligible: ["a", "b", "c"])
        _ = machine.contributionStored(from: "a", at: start)
        var restarted = machine
        let restart = start.addingTimeInterval(30)
        XCTAssertEqual(restarted.restarted(at: restart), [])
        XCTAssertEqual(Set(restarted.grants.keys), ["b", "c"])
        XCTAssertTrue(restarted.grants.values.allSatisfy { $0.deadline == restart.addingTimeInterval(60) })
        XCTAssertEqual(restarted.bufferedContributionRestored(from: "a", staleness: 0, at: restart), [])
        XCTAssertEqual(restarted.bufferedContributionRestored(from: "b", staleness: 0, at: restart), [])
        XCTAssertEqual(
            restarted.bufferedContributionRestored(from: "c", staleness: 1, at: restart),
            [.combine(contributors: ["a", "b", "c"])])
        XCTAssertEqual(restarted.staleness["c"], 1)
    }

    func test_aFailureReport_endsTheDevicesTask_soItMayTakeAnother() {
        var machine = machine(clients: 1, size: 2)
        _ = machine.tick(now: start, eligible: ["a"])
        XCTAssertEqual(machine.clientFailed("a", reason: .diverged, at: start).0, .accepted)
        XCTAssertEqual(machine.grants, [:])
        XCTAssertEqual(
            machine.tick(now: start, eligible: ["a"]),
            [.issueTasks(cohort: ["a"], deadline: start.addingTimeInterval(60))])
    }

    func test_stalenessWeight_isOneOverTheRootOfOnePlusStaleness() {
        XCTAssertEqual(StalenessWeight.factor(staleness: 0), 1)
        XCTAssertEqual(StalenessWeight.factor(staleness: 3), 0.5)
        XCTAssertEqual(StalenessWeight.scaled(10, staleness: 0), 10_240)
        XCTAssertEqual(StalenessWeight.scaled(10, staleness: 3), 5_120)
        XCTAssertEqual(StalenessWeight.discount(weights: [10, 10], scaled: [10_240, 5_120]), 0.75)
        XCTAssertEqual(StalenessWeight.discount(weights: [10], scaled: [10_240]), 1)
    }
}
