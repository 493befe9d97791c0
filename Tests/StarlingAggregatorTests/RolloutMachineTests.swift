import Foundation
import XCTest

@testable import StarlingAggregator

/// The rollout wave machine, its policy and health judgement, driven by hand-fed events on a fixed clock.
final class RolloutMachineTests: XCTestCase {
    typealias Machine = RolloutMachine

    let t0 = Date(timeIntervalSinceReferenceDate: 800_000_000.375)

    static let health = RolloutPolicy.HealthThresholds(
        maxAccuracyDrop: 0.05, maxErrorRate: 0.02, maxEscalationIncrease: 0.05, maxLatencyRatio: 1.5)

    static let good = DeviceHealthReport(
        installation: .ok,
        smokeTest: .init(
            samples: 200, accuracy: 0.93, phaseOneLatencyP50Ms: 8, errorRate: 0.01, escalationRate: 0.10,
            replaced: .init(accuracy: 0.92, phaseOneLatencyP50Ms: 8, errorRate: 0.01, escalationRate: 0.10)))

    static let broken = DeviceHealthReport(
        installation: .ok,
        smokeTest: .init(
            samples: 200, accuracy: 0.12, phaseOneLatencyP50Ms: 8, errorRate: 0.01, escalationRate: 0.10,
            replaced: .init(accuracy: 0.93, phaseOneLatencyP50Ms: 8, errorRate: 0.01, escalationRate: 0.10)))

    func policy(
        _ strategy: RolloutPolicy.Strategy = .canary, waves: [Double] = [5, 25, 100], bake: Double = 600,
        maxFailureRate: Double = 0.05, offlineAfter: Double = 3600
    ) -> RolloutPolicy {
        RolloutPolicy(
            strategy: strategy, waves: strategy == .canary ? waves : [100], bakeSeconds: bake,
            maxFailureRate: maxFailureRate, offlineAfterSeconds: offlineAfter, health: Self.health)
    }

    /// `dev-0000`, `dev-0001`, …; even ones ran `v1` before, odd ones nothing.
    func targets(_ count: Int, prefix: String = "dev") -> [Machine.Target] {
        (0..<count).map {
            Machine.Target(id: String(format: "%@-%04d", prefix, $0), previousVersion: $0 % 2 == 0 ? "v1" : nil)
        }
    }

    func machine(_ policy: RolloutPolicy, devices: Int, seed: UInt64 = 42) throws -> Machine {
        try Machine(policy: policy, targets: targets(devices), version: "v2", seed: seed)
    }

    func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    func assigned(_ actions: [Machine.Action]) -> [String] {
        actions.flatMap { action -> [String] in
            if case .assign(let devices, _) = action { return devices }
            return []
        }
    }

    func reverted(_ actions: [Machine.Action]) -> [String] {
        actions.flatMap { action -> [String] in
            if case .revert(let targets) = action { return targets.map(\.id) }
            return []
        }
    }

    func started(_ actions: [Machine.Action]) -> [Int] {
        actions.compactMap { action in
            if case .waveStarted(let index, _) = action { return index }
            return nil
        }
    }

    func ids(withStatus status: Machine.Device.Status, in machine: Machine) -> [String] {
        machine.devices.filter { $0.status == status }.map(\.id)
    }

    /// Reports `report` for every device in `ids` at `time`, returning all actions.
    func report(_ report: DeviceHealthReport, from ids: [String], to machine: inout Machine, at time: Date) throws
        -> [Machine.Action]
    {
        try ids.flatMap { id throws(Machine.Refusal) in try machine.handle(.report(device: id, report), at: time) }
    }

    func assertRefused(
        _ event: Machine.Event, by machine: Machine, with refusal: Machine.Refusal, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        var copy = machine
        XCTAssertThrowsError(try copy.handle(event, at: t0), file: file, line: line) { error in
            XCTAssertEqual(error as? Machine.Refusal, refusal, file: file, line: line)
        }
        XCTAssertEqual(copy, machine, "a refused event must change nothing", file: file, line: line)
    }

    // MARK: - Waves

    func test_waveSizes_forOneTenAndAThousandDevices_areCumulativeCeilingsOfAtLeastOne() {
        let policy = policy()
        XCTAssertEqual(policy.cumulativeWaveSizes(deviceCount: 1), [1, 1, 1])
        XCTAssertEqual(policy.cumulativeWaveSizes(deviceCount: 10), [1, 3, 10])
        XCTAssertEqual(policy.cumulativeWaveSizes(deviceCount: 1000), [50, 250, 1000])
        XCTAssertEqual(policy.cumulativeWaveSizes(deviceCount: 0), [0, 0, 0])
    }

    func test_start_withOneDevice_assignsIt_andCompletesAfterOneBake_skippingWavesThatAddNoDevice() throws {
        var machine = try machine(policy(), devices: 1)
        let opening = try machine.handle(.start, at: t0)
        XCTAssertEqual(assigned(opening), ["dev-0000"])
        _ = try report(Self.good, from: ["dev-0000"], to: &machine, at: at(10))
        let end = try machine.handle(.tick, at: at(600))
        XCTAssertEqual(started(end), [])
        XCTAssertTrue(end.contains(.completed))
        XCTAssertEqual(machine.phase, .completed)
    }

    func test_canary_isASpreadOverTheTargets_deterministicForASeed_whateverTheirOrder() throws {
        let all = targets(1000)
        func canary(_ targets: [Machine.Target], seed: UInt64) throws -> Set<String> {
            var machine = try Machine(policy: policy(), targets: targets, version: "v2", seed: seed)
            return Set(assigned(try machine.handle(.start, at: t0)))
        }
        let first = try canary(all, seed: 7)
        XCTAssertEqual(first.count, 50)
        XCTAssertEqual(try canary(all.reversed(), seed: 7), first)
        XCTAssertNotEqual(try canary(all, seed: 8), first)
        let positions = all.indices.filter { first.contains(all[$0].id) }
        XCTAssertNotEqual(positions, Array(0..<50), "the canary must not be the first ids")
        for quarter in 0..<4 {
            let members = positions.filter { $0 / 250 == quarter }.count
            XCTAssertGreaterThanOrEqual(members, 5, "quarter \(quarter) holds only \(members) canary devices")
        }
    }

    func test_goodVersion_walksEveryWave_onlyAfterEachBakeAndHealthyReports() throws {
        var machine = try machine(policy(), devices: 100)
        let opening = try machine.handle(.start, at: t0)
        XCTAssertEqual(started(opening), [0])
        let wave0 = assigned(opening)
        XCTAssertEqual(wave0.count, 5)
        XCTAssertEqual(machine.phase, .running(wave: 0, bakeDeadline: at(600)))

        XCTAssertEqual(try report(Self.good, from: Array(wave0.dropLast()), to: &machine, at: at(10)), [])
        XCTAssertEqual(try machine.handle(.tick, at: at(600)), [], "one canary device has not reported yet")
        XCTAssertEqual(try report(Self.good, from: [wave0[4]], to: &machine, at: at(599)), [], "still baking")
        XCTAssertEqual(try machine.handle(.tick, at: at(599.9)), [])

        let second = try machine.handle(.tick, at: at(600))
        XCTAssertEqual(started(second), [1])
        let wave1 = assigned(second)
        XCTAssertEqual(wave1.count, 20)
        XCTAssertTrue(Set(wave1).isDisjoint(with: wave0))
        XCTAssertEqual(machine.phase, .running(wave: 1, bakeDeadline: at(1200)))

        XCTAssertEqual(try report(Self.good, from: wave1, to: &machine, at: at(700)), [])
        XCTAssertEqual(try machine.handle(.tick, at: at(1199)), [])
        let third = try machine.handle(.tick, at: at(1200))
        XCTAssertEqual(started(third), [2])
        let wave2 = assigned(third)
        XCTAssertEqual(wave2.count, 75)
        XCTAssertEqual(Set(wave0 + wave1 + wave2).count, 100)

        XCTAssertEqual(try report(Self.good, from: wave2, to: &machine, at: at(1300)), [])
        XCTAssertEqual(try machine.handle(.tick, at: at(1799)), [])
        let last = try machine.handle(.tick, at: at(1800))
        XCTAssertEqual(last.first, .completed)
        XCTAssertEqual(machine.phase, .completed)
        XCTAssertEqual(machine.counts, .init(notAssigned: 0, pending: 0, healthy: 100, failed: 0, reverted: 0))
    }

    func test_everyTransition_logsOneSentenceWithItsTime() throws {
        var machine = try machine(policy(), devices: 100)
        let opening = try machine.handle(.start, at: t0)
        XCTAssertEqual(
            opening.last,
            .log(
                .init(
                    time: t0,
                    message: "Started wave 1 of 3 (5 %) with 5 more devices, 5 of 100 in all; it bakes for 600 s.")))
        let failing = try report(Self.broken, from: [assigned(opening)[0]], to: &machine, at: at(5))
        guard case .log(let first) = failing.first, case .log(let last) = failing.last else {
            return XCTFail("expected log entries around the halt, got \(failing)")
        }
        XCTAssertEqual(first.time, at(5))
        XCTAssertTrue(
            first.message.hasPrefix("Device \(assigned(opening)[0]) is unhealthy: accuracy 0.12"), first.message)
        XCTAssertTrue(
            last.message.hasPrefix("Halted, 5 devices reverted: 1 of 5 assigned devices failed"), last.message)
    }

    // MARK: - Failures

    func test_brokenVersion_haltsInTheFirstWaveBeforeItsBake_andRevertsExactlyTheAssignedDevices() throws {
        var machine = try machine(policy(), devices: 100)
        let canary = assigned(try machine.handle(.start, at: t0))
        let actions = try report(Self.broken, from: [canary[2]], to: &machine, at: at(30))
        let expectedReverts = targets(100).filter { canary.contains($0.id) }
        XCTAssertTrue(actions.contains(.revert(expectedReverts)), "\(actions)")
        XCTAssertEqual(assigned(actions), [])
        let reason =
            "1 of 5 assigned devices failed, more than the 5 % the policy tolerates; device \(canary[2]): "
            + "accuracy 0.12 is 0.81 below the replaced version's 0.93; the policy allows 0.05"
        XCTAssertTrue(actions.contains(.halted(reason: reason)), "\(actions)")
        XCTAssertEqual(machine.phase, .halted(reason: reason))
        XCTAssertEqual(machine.counts, .init(notAssigned: 95, pending: 0, healthy: 0, failed: 0, reverted: 5))
        XCTAssertEqual(ids(withStatus: .reverted, in: machine), canary)
    }

    func test_failureThreshold_countsFailuresAgainstTheWaveSize_notOnlyAgainstThoseWhoReported() throws {
        var machine = try machine(policy(), devices: 1000)
        let canary = assigned(try machine.handle(.start, at: t0))
        XCTAssertEqual(canary.count, 50)
        // 2 of 50 is 4 %: within 5 %, though 2 of the 2 who reported failed.
        _ = try report(Self.broken, from: Array(canary[0..<2]), to: &machine, at: at(10))
        XCTAssertEqual(machine.phase, .running(wave: 0, bakeDeadline: at(600)))
        XCTAssertEqual(machine.counts.failed, 2)
        // 3 of 50 is 6 %.
        let third = try report(Self.broken, from: [canary[2]], to: &machine, at: at(11))
        guard case .halted = machine.phase else { return XCTFail("expected a halt, got \(machine.phase)") }
        XCTAssertEqual(reverted(third).count, 50)
    }

    func test_aLaterHealthyReport_clearsADevicesFailure() throws {
        var machine = try machine(policy(), devices: 1000)
        let canary = assigned(try machine.handle(.start, at: t0))
        _ = try report(Self.broken, from: [canary[0]], to: &machine, at: at(10))
        let recovery = try report(Self.good, from: [canary[0]], to: &machine, at: at(20))
        XCTAssertEqual(
            recovery, [.log(.init(time: at(20), message: "Device \(canary[0]) reported healthy after failing."))])
        XCTAssertEqual(machine.counts.failed, 0)
        XCTAssertNil(machine.devices.first { $0.id == canary[0] }?.failure)
    }

    func test_offlineDevices_neitherBlockForeverNorCountAsFailed_andConvergeWhenTheyReport() throws {
        var machine = try machine(policy(waves: [50, 100], bake: 600, offlineAfter: 3600), devices: 20)
        let first = assigned(try machine.handle(.start, at: t0))
        let (reporting, silent) = (Array(first.prefix(8)), Array(first.suffix(2)))
        _ = try report(Self.good, from: reporting, to: &machine, at: at(60))
        XCTAssertEqual(try machine.handle(.tick, at: at(600)), [], "2 silent of 10 are more than 5 %")
        XCTAssertEqual(try machine.handle(.tick, at: at(3599)), [])
        XCTAssertEqual(machine.counts.failed, 0)

        let next = try machine.handle(.tick, at: at(3600))
        XCTAssertEqual(started(next), [1], "an hour after their assignment the silent devices are offline")
        XCTAssertEqual(assigned(next).count, 10)
        XCTAssertTrue(Set(assigned(next)).isDisjoint(with: silent), "offline devices keep their assignment")
        XCTAssertEqual(machine.counts, .init(notAssigned: 0, pending: 12, healthy: 8, failed: 0, reverted: 0))

        _ = try report(Self.good, from: [silent[0]], to: &machine, at: at(4000))
        XCTAssertEqual(machine.counts.healthy, 9, "a device that comes back still counts")
        _ = try report(Self.good, from: assigned(next), to: &machine, at: at(4100))
        XCTAssertEqual(try machine.handle(.tick, at: at(4199)), [])
        XCTAssertTrue(try machine.handle(.tick, at: at(4200)).contains(.completed))
        XCTAssertEqual(machine.counts, .init(notAssigned: 0, pending: 1, healthy: 19, failed: 0, reverted: 0))
    }

    func test_aWaveWhoseDevicesAreAllOffline_waitsForAHealthyReport() throws {
        var machine = try machine(policy(waves: [50, 100], offlineAfter: 60), devices: 4)
        let first = assigned(try machine.handle(.start, at: t0))
        XCTAssertEqual(try machine.handle(.tick, at: at(10_000)), [])
        _ = try report(Self.good, from: [first[0]], to: &machine, at: at(10_001))
        XCTAssertEqual(machine.currentWave, 1)
    }

    // MARK: - Operator events

    func test_pause_holdsTheNextWave_untilResume_whichKeepsTheBakeDeadline() throws {
        var machine = try machine(policy(), devices: 100)
        let canary = assigned(try machine.handle(.start, at: t0))
        _ = try machine.handle(.pause, at: at(100))
        _ = try report(Self.good, from: canary, to: &machine, at: at(200))
        XCTAssertEqual(machine.counts.healthy, 5, "reports are recorded while paused")
        XCTAssertEqual(try machine.handle(.tick, at: at(700)), [])
        XCTAssertEqual(machine.phase, .paused(wave: 0, bakeDeadline: at(600)))
        let resumed = try machine.handle(.resume, at: at(800))
        XCTAssertEqual(started(resumed), [1], "the bake ended during the pause, so the next wave starts at once")
    }

    func test_resumeBeforeTheBakeEnds_advancesAtTheOriginalDeadline() throws {
        var machine = try machine(policy(), devices: 100)
        let canary = assigned(try machine.handle(.start, at: t0))
        _ = try report(Self.good, from: canary, to: &machine, at: at(10))
        _ = try machine.handle(.pause, at: at(100))
        XCTAssertEqual(started(try machine.handle(.resume, at: at(400))), [])
        XCTAssertEqual(started(try machine.handle(.tick, at: at(600))), [1])
    }

    func test_failureThresholdCrossedWhilePaused_stillHaltsAndReverts() throws {
        var machine = try machine(policy(), devices: 100)
        let canary = assigned(try machine.handle(.start, at: t0))
        _ = try machine.handle(.pause, at: at(100))
        let actions = try report(Self.broken, from: [canary[0]], to: &machine, at: at(200))
        guard case .halted = machine.phase else { return XCTFail("expected a halt, got \(machine.phase)") }
        XCTAssertEqual(reverted(actions).count, 5)
    }

    func test_abort_stopsWhereItIs_withoutReverting() throws {
        var machine = try machine(policy(), devices: 100)
        _ = try machine.handle(.start, at: t0)
        let actions = try machine.handle(.abort, at: at(50))
        XCTAssertEqual(
            actions,
            [.log(.init(time: at(50), message: "Aborted by the operator; 5 assigned devices keep version v2."))])
        XCTAssertEqual(machine.phase, .aborted)
        XCTAssertEqual(machine.counts, .init(notAssigned: 95, pending: 5, healthy: 0, failed: 0, reverted: 0))
    }

    func test_rollback_revertsEveryAssignedDevice_toItsOwnPreviousVersion() throws {
        var machine = try machine(policy(), devices: 100)
        let canary = assigned(try machine.handle(.start, at: t0))
        _ = try report(Self.good, from: canary, to: &machine, at: at(10))
        let wave1 = assigned(try machine.handle(.tick, at: at(600)))
        let actions = try machine.handle(.rollback, at: at(700))
        let everyAssigned = Set(canary + wave1)
        XCTAssertEqual(actions.first, .revert(targets(100).filter { everyAssigned.contains($0.id) }))
        XCTAssertEqual(machine.phase, .rolledBack)
        XCTAssertEqual(machine.counts, .init(notAssigned: 75, pending: 0, healthy: 0, failed: 0, reverted: 25))
    }

    func test_eventsThatDoNotFitThePhase_areRefusedWithASentence_andChangeNothing() throws {
        var machine = try machine(policy(), devices: 100)
        assertRefused(.pause, by: machine, with: .notStarted)
        assertRefused(.resume, by: machine, with: .notPaused)
        assertRefused(.rollback, by: machine, with: .notStarted)
        assertRefused(
            .report(device: "dev-0000", Self.good), by: machine, with: .notAssigned(device: "dev-0000", version: "v2"))
        let canary = Set(assigned(try machine.handle(.start, at: t0)))
        assertRefused(.start, by: machine, with: .alreadyStarted)
        assertRefused(.resume, by: machine, with: .notPaused)
        assertRefused(.report(device: "stranger", Self.good), by: machine, with: .notATarget("stranger"))
        let waiting = try XCTUnwrap(machine.devices.first { !canary.contains($0.id) }).id
        assertRefused(
            .report(device: waiting, Self.good), by: machine, with: .notAssigned(device: waiting, version: "v2"))
        _ = try machine.handle(.pause, at: t0)
        assertRefused(.pause, by: machine, with: .notRunning)
        _ = try machine.handle(.abort, at: t0)
        for event: Machine.Event in [
            .tick, .resume, .rollback, .abort, .devicesChanged([]), .report(device: "dev-0000", Self.good),
        ] {
            assertRefused(event, by: machine, with: .finished(.aborted))
        }
        XCTAssertEqual(Machine.Refusal.notPaused.description, "the rollout is not paused, so it cannot be resumed")
        XCTAssertEqual(Machine.Refusal.notATarget("d1").description, "device d1 is not a target of this rollout")
        XCTAssertEqual(
            Machine.Refusal.finished(.rolledBack).description,
            "the rollout has been rolled back and takes no more events")
    }

    // MARK: - Target changes

    func test_devicesChanged_newcomersTopUpTheRunningWave_andLeaversAreForgotten() throws {
        var machine = try machine(policy(), devices: 100)
        let canary = assigned(try machine.handle(.start, at: t0))
        let leaver = canary[0]
        let newcomers = targets(20, prefix: "new")
        let changed = targets(100).filter { $0.id != leaver } + newcomers
        let actions = try machine.handle(.devicesChanged(changed), at: at(10))
        // 119 targets: the canary holds ⌈5.95⌉ = 6, and 4 are still assigned.
        XCTAssertEqual(assigned(actions).count, 2)
        XCTAssertEqual(machine.devices.count, 119)
        XCTAssertNil(machine.devices.first { $0.id == leaver })
        XCTAssertEqual(machine.counts, .init(notAssigned: 113, pending: 6, healthy: 0, failed: 0, reverted: 0))
        XCTAssertEqual(machine.devices.map(\.id), changed.map(\.id), "the machine keeps the caller's order")
    }

    func test_devicesChanged_inTheLastWave_assignsNewcomersAtOnce_andWhilePausedOnlyOnResume() throws {
        var machine = try machine(policy(.all), devices: 10)
        _ = try machine.handle(.start, at: t0)
        let first = try machine.handle(.devicesChanged(targets(10) + targets(2, prefix: "new")), at: at(10))
        XCTAssertEqual(assigned(first), ["new-0000", "new-0001"])
        _ = try machine.handle(.pause, at: at(20))
        let second = try machine.handle(.devicesChanged(targets(10) + targets(3, prefix: "new")), at: at(30))
        XCTAssertEqual(assigned(second), [])
        XCTAssertEqual(assigned(try machine.handle(.resume, at: at(40))), ["new-0002"])
    }

    func test_devicesChanged_whenLeaversRaiseTheFailureRate_halts() throws {
        var machine = try machine(policy(), devices: 1000)
        let canary = assigned(try machine.handle(.start, at: t0))
        _ = try report(Self.broken, from: Array(canary[0..<2]), to: &machine, at: at(10))
        let leavers = Set(canary[2..<22])
        let actions = try machine.handle(.devicesChanged(targets(1000).filter { !leavers.contains($0.id) }), at: at(20))
        guard case .halted(let reason) = machine.phase else { return XCTFail("expected a halt, got \(machine.phase)") }
        XCTAssertTrue(reason.hasPrefix("2 of 30 assigned devices failed"), reason)
        XCTAssertEqual(reverted(actions).count, 30)
    }

    func test_devicesChanged_beforeStart_changesWhoTheWavesAreMadeOf_countingARepeatedIdOnce() throws {
        var machine = try machine(policy(), devices: 10)
        _ = try machine.handle(.devicesChanged(targets(1000) + targets(3)), at: t0)
        XCTAssertEqual(machine.devices.count, 1000)
        XCTAssertEqual(assigned(try machine.handle(.start, at: at(1))).count, 50)
    }

    // MARK: - Strategies

    func test_all_assignsEveryTarget_andCompletesAfterTheBakeOnceHealthyCoverTheThreshold() throws {
        var machine = try machine(policy(.all, bake: 60), devices: 20)
        let everyone = assigned(try machine.handle(.start, at: t0))
        XCTAssertEqual(everyone.count, 20)
        XCTAssertEqual(try report(Self.good, from: Array(everyone.prefix(19)), to: &machine, at: at(10)), [])
        XCTAssertEqual(try machine.handle(.tick, at: at(59)), [])
        XCTAssertTrue(try machine.handle(.tick, at: at(60)).contains(.completed), "19 of 20 is 95 %")
        XCTAssertFalse(machine.pinned)
        XCTAssertEqual(try machine.handle(.report(device: everyone[19], Self.good), at: at(70)), [])
        XCTAssertEqual(machine.counts.healthy, 20, "a late report after completion still counts")
        XCTAssertEqual(machine.phase, .completed)
        assertRefused(.tick, by: machine, with: .finished(.completed))
    }

    func test_pinned_isOneWaveLikeAll_andPinsItsDevicesUntilRolledBack() throws {
        var machine = try machine(policy(.pinned, bake: 0), devices: 3)
        XCTAssertTrue(machine.pinned)
        XCTAssertEqual(assigned(try machine.handle(.start, at: t0)).count, 3)
        XCTAssertTrue(machine.pinned)
        _ = try machine.handle(.rollback, at: at(1))
        XCTAssertFalse(machine.pinned)
    }

    // MARK: - Persistence

    func test_codableRoundTrip_midRollout_givesAnEqualMachine_thatContinuesIdentically() throws {
        var machine = try machine(policy(), devices: 200, seed: 0xDEAD_BEEF_CAFE_F00D)
        let canary = assigned(try machine.handle(.start, at: t0))
        _ = try report(Self.good, from: canary, to: &machine, at: at(10.125))
        let wave1 = assigned(try machine.handle(.tick, at: at(600.5)))
        _ = try report(Self.broken, from: [wave1[0]], to: &machine, at: at(610))
        _ = try machine.handle(.pause, at: at(620))

        let plain = try JSONDecoder().decode(Machine.self, from: JSONEncoder().encode(machine))
        XCTAssertEqual(plain, machine)
        XCTAssertEqual(try Self.roundTrip(machine), machine)

        let rest: [(Machine.Event, TimeInterval)] = [
            (.resume, 700), (.report(device: wave1[1], Self.good), 710), (.tick, 1300),
            (.report(device: wave1[2], Self.broken), 1310), (.report(device: wave1[3], Self.broken), 1320),
        ]
        var original = machine
        var restored = try Self.roundTrip(machine)
        for (event, time) in rest {
            XCTAssertEqual(try restored.handle(event, at: at(time)), try original.handle(event, at: at(time)))
            XCTAssertEqual(restored, original)
            restored = try Self.roundTrip(restored)
            XCTAssertEqual(restored, original, "after \(event), in \(original.phase)")
        }
        guard case .halted = restored.phase else { return XCTFail("expected the continuation to halt") }
    }

    /// Through JSON the way the aggregator writes it: snake_case keys, ISO 8601 dates (whole seconds).
    static func roundTrip(_ machine: Machine) throws -> Machine {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Machine.self, from: encoder.encode(machine))
    }

    func test_policy_encodesWithSnakeCaseKeys() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let json = try XCTUnwrap(String(data: try encoder.encode(policy()), encoding: .utf8))
        for key in ["\"bake_seconds\"", "\"max_failure_rate\"", "\"offline_after_seconds\"", "\"max_accuracy_drop\""] {
            XCTAssertTrue(json.contains(key), json)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        XCTAssertEqual(try decoder.decode(RolloutPolicy.self, from: Data(json.utf8)), policy())
    }

    // MARK: - Policy

    func test_validate_acceptsTheExamplePolicy_andRejectsEachBrokenRuleWithASentence() throws {
        XCTAssertNoThrow(try policy().validate())
        XCTAssertNoThrow(try policy(.all, bake: 0, maxFailureRate: 0).validate())
        let cases: [(RolloutPolicy, RolloutPolicyError, String)] = [
            (policy(waves: []), .noWaves, "a rollout needs at least one wave"),
            (
                policy(waves: [0, 100]), .waveOutOfRange(0),
                "every wave must be above 0 % and at most 100 %, but one is 0 %"
            ),
            (
                policy(waves: [5, 120]), .waveOutOfRange(120),
                "every wave must be above 0 % and at most 100 %, but one is 120 %"
            ),
            (
                policy(waves: [25, 25, 100]), .wavesNotIncreasing(previous: 25, next: 25),
                "waves must grow strictly, but 25 % follows 25 %"
            ),
            (
                policy(waves: [5, 50]), .lastWaveNotComplete(50),
                "the last wave must reach 100 % of the targets, not 50 %"
            ),
            (
                policy(bake: -1), .invalidDuration("bake time", -1),
                "the bake time must be a finite number of seconds, 0 or more, not -1"
            ),
            (
                policy(maxFailureRate: 1.5), .rateOutOfRange(.maxFailureRate, 1.5),
                "the max failure rate must be between 0 and 1, not 1.5"
            ),
        ]
        for (policy, error, sentence) in cases {
            XCTAssertThrowsError(try policy.validate()) { thrown in
                XCTAssertEqual(thrown as? RolloutPolicyError, error)
                XCTAssertEqual((thrown as? RolloutPolicyError)?.description, sentence)
            }
        }
        var pinned = policy(.pinned)
        pinned.waves = [50, 100]
        XCTAssertThrowsError(try pinned.validate()) {
            XCTAssertEqual($0 as? RolloutPolicyError, .singleWaveStrategy(.pinned, waves: [50, 100]))
        }
        var latency = policy()
        latency.health.maxLatencyRatio = 0
        XCTAssertThrowsError(try latency.validate()) {
            XCTAssertEqual($0 as? RolloutPolicyError, .invalidLatencyRatio(0))
        }
        var escalation = policy()
        escalation.health.maxEscalationIncrease = -0.1
        XCTAssertThrowsError(try Machine(policy: escalation, targets: [], version: "v2", seed: 1)) {
            XCTAssertEqual($0 as? RolloutPolicyError, .rateOutOfRange(.maxEscalationIncrease, -0.1))
        }
    }

    // MARK: - Health

    func smoke(
        accuracy: Double = 0.93, latency: Double = 8, errorRate: Double = 0.01, escalation: Double = 0.10,
        replaced: DeviceHealthReport.ReplacedVersion? = .init(
            accuracy: 0.93, phaseOneLatencyP50Ms: 8, errorRate: nil, escalationRate: 0.10)
    ) -> DeviceHealthReport {
        DeviceHealthReport(
            installation: .ok,
            smokeTest: .init(
                samples: 100, accuracy: accuracy, phaseOneLatencyP50Ms: latency, errorRate: errorRate,
                escalationRate: escalation, replaced: replaced))
    }

    func test_judge_namesTheFirstLimitAReportBreaks() {
        let policy = policy()
        XCTAssertEqual(policy.judge(smoke()), .healthy)
        XCTAssertEqual(policy.judge(smoke(accuracy: 0.88)), .healthy, "a drop of exactly 0.05 is allowed")
        XCTAssertEqual(
            policy.judge(smoke(accuracy: 0.12)),
            .unhealthy(reason: "accuracy 0.12 is 0.81 below the replaced version's 0.93; the policy allows 0.05"))
        XCTAssertEqual(
            policy.judge(smoke(errorRate: 0.08)),
            .unhealthy(reason: "error rate 0.08 is above the policy's limit of 0.02"))
        XCTAssertEqual(
            policy.judge(smoke(escalation: 0.30)),
            .unhealthy(
                reason: "phase-two escalation rate 0.3 is 0.2 above the replaced version's 0.1; the policy allows 0.05")
        )
        XCTAssertEqual(
            policy.judge(smoke(latency: 24)),
            .unhealthy(reason: "p50 phase-one latency 24 ms is 3× the replaced version's 8 ms; the policy allows 1.5×"))
        XCTAssertEqual(
            policy.judge(DeviceHealthReport(installation: .failed(reason: "disk full"), smokeTest: nil)),
            .unhealthy(reason: "the installation failed: disk full"))
        XCTAssertEqual(
            policy.judge(DeviceHealthReport(installation: .ok, smokeTest: nil)), .healthy,
            "a device without held-out samples is judged on its installation")
    }

    func test_judge_withoutAReplacedVersion_checksOnlyTheAbsoluteLimits() {
        let policy = policy()
        XCTAssertEqual(policy.judge(smoke(accuracy: 0.2, latency: 500, replaced: nil)), .healthy)
        XCTAssertEqual(
            policy.judge(smoke(errorRate: 0.5, replaced: nil)),
            .unhealthy(reason: "error rate 0.5 is above the policy's limit of 0.02"))
        let unknownEscalation = DeviceHealthReport.ReplacedVersion(
            accuracy: 0.93, phaseOneLatencyP50Ms: 8, errorRate: nil, escalationRate: nil)
        XCTAssertEqual(policy.judge(smoke(escalation: 0.9, replaced: unknownEscalation)), .healthy)
    }

    // MARK: - Properties

    func test_randomEventSequences_keepTheInvariants() throws {
        var rng = SplitMix64(seed: 1337)
        for sequence in 0..<300 {
            try runRandomSequence(&rng, label: "sequence \(sequence)")
        }
    }

    private func runRandomSequence(_ rng: inout SplitMix64, label: String) throws {
        let strategy = [RolloutPolicy.Strategy.canary, .canary, .all, .pinned][rng.below(4)]
        let waves = [[5.0, 25, 100], [10, 50, 100], [1, 100], [33, 66, 100]][rng.below(4)]
        let policy = policy(
            strategy, waves: waves, bake: [0, 60, 600][rng.below(3)],
            maxFailureRate: [0, 0.05, 0.2, 0.5][rng.below(4)],
            offlineAfter: [0, 300, 3600][rng.below(3)])
        var pool = targets(rng.below(40))
        var machine = try Machine(policy: policy, targets: pool, version: "v2", seed: UInt64(rng.below(1000)))
        var everReverted = Set<String>()
        var lastWave = -1
        var newcomers = 0
        var now = t0
        for step in 0..<60 {
            let context = "\(label), step \(step)"
            now.addTimeInterval(Double(rng.below(400)))
            let event = step == 0 ? .start : randomEvent(&rng, machine: machine, pool: &pool, newcomers: &newcomers)
            let before = machine
            let assignedBefore = machine.counts.pending + machine.counts.healthy + machine.counts.failed
            if step % 7 == 0 {
                machine = try Self.roundTrip(machine)
                XCTAssertEqual(machine, before, "\(context): the JSON round trip changed the machine")
            }
            let actions: [Machine.Action]
            do {
                actions = try machine.handle(event, at: now)
            } catch {
                XCTAssertEqual(machine, before, "\(context): a refusal changed the machine")
                continue
            }
            if before.phase.isTerminal {
                guard before.phase == .completed, case .report = event else {
                    return XCTFail("\(context): a terminal phase accepted \(event)")
                }
                XCTAssertTrue(
                    actions.allSatisfy { if case .log = $0 { true } else { false } },
                    "\(context): a late report after completion moved devices")
            }

            let counts = machine.counts
            XCTAssertEqual(
                counts.notAssigned + counts.pending + counts.healthy + counts.failed + counts.reverted,
                machine.devices.count,
                context)
            XCTAssertEqual(
                counts, Self.scannedCounts(machine.devices), "\(context): the tally drifted from the devices")
            for device in machine.devices {
                XCTAssertEqual(machine.device(device.id), device, "\(context): the index lost \(device.id)")
            }
            XCTAssertNil(machine.device("stranger"), context)
            let assignedNow = counts.pending + counts.healthy + counts.failed
            let sizes = policy.cumulativeWaveSizes(deviceCount: machine.devices.count)
            if let wave = machine.currentWave {
                XCTAssertLessThanOrEqual(assignedNow, max(sizes[wave], assignedBefore), "\(context): over-assigned")
            }
            for case .waveStarted(let index, _) in actions {
                XCTAssertGreaterThan(index, lastWave, "\(context): waves went backwards")
                lastWave = index
            }
            for case .assign(let devices, _) in actions {
                XCTAssertTrue(
                    Set(devices).isDisjoint(with: everReverted), "\(context): a reverted device was re-assigned")
                for id in devices {
                    XCTAssertEqual(before.devices.first { $0.id == id }?.status ?? .notAssigned, .notAssigned, context)
                }
            }
            for case .revert(let devices) in actions { everReverted.formUnion(devices.map(\.id)) }
            switch machine.phase {
            case .halted, .rolledBack:
                XCTAssertEqual(assignedNow, 0, "\(context): a device was left assigned after reverting")
            case .running, .paused:
                XCTAssertLessThanOrEqual(
                    counts.failed, policy.toleratedFailures(among: assignedNow), "\(context): no halt")
            case .notStarted, .aborted, .completed:
                break
            }
        }
    }

    private static func scannedCounts(_ devices: [Machine.Device]) -> Machine.Counts {
        var counts = Machine.Counts()
        for device in devices {
            switch device.status {
            case .notAssigned: counts.notAssigned += 1
            case .pending: counts.pending += 1
            case .healthy: counts.healthy += 1
            case .failed: counts.failed += 1
            case .reverted: counts.reverted += 1
            }
        }
        return counts
    }

    private func randomEvent(
        _ rng: inout SplitMix64, machine: Machine, pool: inout [Machine.Target], newcomers: inout Int
    ) -> Machine.Event {
        switch rng.below(100) {
        case 0..<55:
            let ids = machine.devices.map(\.id) + ["stranger"]
            let report = rng.below(10) == 0 ? Self.broken : Self.good
            return .report(device: ids[rng.below(ids.count)], report)
        case 55..<75: return .tick
        case 75..<81: return .pause
        case 81..<87: return .resume
        case 87..<88: return .abort
        case 88..<89: return .rollback
        default:
            pool.removeAll { _ in rng.below(10) == 0 }
            for _ in 0..<rng.below(4) {
                pool.append(.init(id: "joined-\(newcomers)", previousVersion: nil))
                newcomers += 1
            }
            return .devicesChanged(pool)
        }
    }
}

/// A seeded generator for the property test, so every run replays the same sequences.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}
