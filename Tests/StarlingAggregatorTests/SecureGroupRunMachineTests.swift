import Foundation
import SecureAggregation
import XCTest

@testable import StarlingAggregator

/// Buffered asynchronous runs under SecAgg+ in the run machine: each buffer is a group of `size`
/// devices with its own SecAgg+ stages; groups run side by side, each unmasked sum makes one
/// version, a group that falls short is dropped whole, and a restart redoes the groups.
final class SecureGroupRunMachineTests: XCTestCase {
    let start = Date(timeIntervalSince1970: 5_000_000)
    let devices = ["a", "b", "c", "d", "e", "f", "g"]

    func machine(rounds: Int = 3, clients: Int = 4, minClients: Int = 2, size: Int = 2, maxStaleness: Int = 1)
        -> RunMachine
    {
        RunMachine(
            configuration: .init(
                rounds: rounds, clients: clients, minClients: minClients, invited: clients, deadlineSeconds: 60,
                secureStageSeconds: 10, seed: 9, buffering: .init(size: size, maxStaleness: maxStaleness)),
            baseVersion: 1, startedAt: start)
    }

    /// Walks group `id` through its three SecAgg+ stages after key advertising; returns the last
    /// stage's actions.
    func finishStages(of id: Int, _ machine: inout RunMachine, at now: Date) -> [RunMachine.Action] {
        var last: [RunMachine.Action] = []
        for _ in 0..<3 { last = machine.groupStageAnswered(id, at: now) }
        return last
    }

    func advertiseAll(of id: Int, _ machine: inout RunMachine, at now: Date) -> [RunMachine.Action] {
        let members = machine.secureGroups.group(id: id)?.members ?? []
        return members.flatMap { machine.contributionStored(from: $0, at: now).1 }
    }

    func test_groupsOfSizeForm_upToClientsDevices_eachWithItsOwnId() throws {
        var machine = machine(clients: 5, size: 2)
        let actions = machine.tick(now: start, eligible: devices)
        XCTAssertEqual(
            actions, [.issueGroupTasks(group: 1), .issueGroupTasks(group: 2)], "two groups fit in 5 devices")
        let groups = machine.secureGroups.groups
        XCTAssertEqual(groups.map(\.members.count), [2, 2])
        XCTAssertTrue(Set(groups[0].members).isDisjoint(with: groups[1].members))
        XCTAssertEqual(groups.map(\.round), [1, 1])
        XCTAssertEqual(machine.stage, .collecting)
        XCTAssertEqual(machine.tick(now: start, eligible: devices), [], "one more device is no group")
        let member = groups[0].members[0]
        XCTAssertEqual(machine.admission(of: member), .accepted)
        XCTAssertEqual(machine.admission(of: "z"), .notInCohort)
        let session = try XCTUnwrap(machine.secureSession(of: member, round: 1))
        XCTAssertEqual(session.id, 1)
        XCTAssertEqual(session.attempt, 1, "a group's id is its members' attempt")
        XCTAssertNil(machine.secureSession(of: member, round: 2))
        XCTAssertTrue(machine.taskKeys.contains(.init(device: member, round: 1, attempt: 1)))
    }

    func test_eachGroupsSum_makesAVersion_andAGroupReadyMeanwhileWaitsItsTurnWithItsStaleness() {
        var machine = machine(clients: 4, size: 2)
        _ = machine.tick(now: start, eligible: devices)
        XCTAssertEqual(advertiseAll(of: 1, &machine, at: start), [.closeGroupStage(group: 1)])
        XCTAssertEqual(
            machine.admission(of: machine.secureGroups.group(id: 1)!.members[0]), .closed,
            "key advertising closed once every member answered")
        XCTAssertEqual(
            finishStages(of: 1, &machine, at: start), [.closeGroupStage(group: 1), .unmaskGroup(group: 1)])
        XCTAssertEqual(machine.stage, .aggregating)
        XCTAssertTrue(machine.defersWrites, "the version's transaction writes the machine")
        XCTAssertEqual(machine.tick(now: start, eligible: devices), [], "no group forms while a version is made")

        _ = advertiseAll(of: 2, &machine, at: start)
        XCTAssertEqual(
            finishStages(of: 2, &machine, at: start), [.closeGroupStage(group: 2)],
            "group 2 waits while group 1's version is made")
        // The version's transaction writes a copy of the machine moved on; the machine in memory,
        // once it supersedes that copy, counts as newer so its next write replaces it.
        var written = machine
        _ = written.resultRecorded(version: 2, at: start)
        XCTAssertLessThan(machine.revision, written.revision)
        machine.supersede(written)
        XCTAssertGreaterThan(machine.revision, written.revision)
        XCTAssertEqual(machine.resultRecorded(version: 2, at: start), [.unmaskGroup(group: 2)])
        XCTAssertEqual(machine.round, 2)
        XCTAssertEqual(machine.secureGroups.group(id: 2)?.round, 1, "group 2 trained from version 1: one behind")
        XCTAssertNil(machine.secureGroups.group(id: 1))
        XCTAssertEqual(machine.resultRecorded(version: 3, at: start), [])
        XCTAssertEqual(machine.round, 3)
        let formed = machine.tick(now: start, eligible: devices)
        XCTAssertEqual(formed, [.issueGroupTasks(group: 3), .issueGroupTasks(group: 4)])
        XCTAssertEqual(machine.secureGroups.groups.map(\.baseVersion), [3, 3])
    }

    func test_aGroupTooFarBehind_isDroppedWhenItsTurnComes() {
        var machine = machine(clients: 6, size: 2, maxStaleness: 0)
        _ = machine.tick(now: start, eligible: devices)
        for id in [1, 2, 3] { _ = advertiseAll(of: id, &machine, at: start) }
        _ = finishStages(of: 1, &machine, at: start)
        _ = finishStages(of: 2, &machine, at: start)
        _ = finishStages(of: 3, &machine, at: start)
        let next = machine.resultRecorded(version: 2, at: start)
        XCTAssertEqual(next.count, 2)
        XCTAssertEqual(
            next.first, .dropGroup(group: 2, reason: "its sum is 1 versions behind, more than max_staleness 0"))
        XCTAssertEqual(
            next.last, .dropGroup(group: 3, reason: "its sum is 1 versions behind, more than max_staleness 0"))
        XCTAssertEqual(machine.stage, .collecting)
    }

    func test_aGroupShortOfKeysAtItsDeadline_isDroppedWhole_andItsMembersJoinANewGroup() {
        var machine = machine(clients: 2, minClients: 2, size: 2)
        _ = machine.tick(now: start, eligible: ["a", "b"])
        let members = machine.secureGroups.group(id: 1)!.members
        _ = machine.contributionStored(from: members[0], at: start)
        let late = start.addingTimeInterval(61)
        let actions = machine.tick(now: late, eligible: ["a", "b"])
        XCTAssertEqual(
            actions,
            [
                .dropGroup(group: 1, reason: "only 1 of 2 required devices advertised keys in time"),
                .issueGroupTasks(group: 2),
            ])
        XCTAssertEqual(machine.secureSession(of: members[0], round: 1)?.attempt, 2, "an old group's attempt is over")
        XCTAssertFalse(machine.isFinished, "the run goes on with the next group")
    }

    func test_aGroupFailingAsItIsUnmasked_letsTheNextGroupMakeTheVersion() {
        var machine = machine(clients: 4, size: 2)
        _ = machine.tick(now: start, eligible: devices)
        for id in [1, 2] { _ = advertiseAll(of: id, &machine, at: start) }
        _ = finishStages(of: 1, &machine, at: start)
        _ = finishStages(of: 2, &machine, at: start)
        XCTAssertEqual(
            machine.secureGroupFailed(1, reason: "too few survivors", at: start),
            [
                .dropGroup(group: 1, reason: "secure aggregation failed: too few survivors"),
                .unmaskGroup(group: 2),
            ])
        XCTAssertEqual(machine.stage, .aggregating)
    }

    func test_theRunFails_whenNoGroupMakesAVersionWithinItsWindow() {
        var machine = machine(clients: 2, size: 2)
        _ = machine.tick(now: start, eligible: ["a"])
        XCTAssertEqual(machine.groupWindow, 2 * (60 + 30))
        let actions = machine.tick(now: start.addingTimeInterval(machine.groupWindow), eligible: ["a"])
        guard case .fail(let reason) = actions.last else { return XCTFail("\(actions)") }
        XCTAssertTrue(reason.contains("no group of 2 devices made a version"), reason)
        XCTAssertEqual(machine.admission(of: "a"), .closed)
    }

    func test_aRestart_redoesEveryGroupWithItsMembersAsANewGroup_andSurvivesTheDatabase() throws {
        var machine = machine(clients: 4, size: 2)
        _ = machine.tick(now: start, eligible: devices)
        for id in [1, 2] { _ = advertiseAll(of: id, &machine, at: start) }
        _ = finishStages(of: 1, &machine, at: start)
        let members = machine.secureGroups.groups.map(\.members)
        var stored = try StoredColumn.roundTrip(machine)
        XCTAssertEqual(stored, machine)

        let later = start.addingTimeInterval(5)
        XCTAssertEqual(stored.restarted(at: later), [.issueGroupTasks(group: 3), .issueGroupTasks(group: 4)])
        XCTAssertEqual(stored.stage, .collecting, "the version being made is made again by its group")
        XCTAssertEqual(stored.secureGroups.groups.map(\.members), members)
        XCTAssertEqual(stored.secureGroups.groups.map(\.round), [1, 1])
        XCTAssertEqual(stored.secureSession(of: members[0][0], round: 1)?.attempt, 3)
        XCTAssertEqual(stored.admission(of: members[0][0]), .accepted, "its members advertise keys again")
    }
}
