import Foundation

/// The wave logic of one model rollout, as a value: an event goes in with the time it happened at, actions
/// come out (assign, revert, wave started, halted, completed, and a log entry for every transition). It does
/// no I/O and reads no clock; the deployment service around it performs the actions, feeds it events and
/// persists it (it is `Codable`, so it survives a restart).
///
/// - Waves are cumulative: wave k holds ⌈p_k / 100 · N⌉ of the N targets, at least 1. Devices join in the
///   order of a seeded hash of their ids, so a canary is a spread over the fleet, the same for a seed
///   whatever order the targets come in. Entering wave k assigns the version to its devices not assigned
///   yet; a wave that would add none is skipped. `all` and `pinned` are one wave of 100 %.
/// - Each report is judged by ``RolloutPolicy/judge(_:)``; a device's latest report stands. As soon as the
///   failed devices outnumber `maxFailureRate` of every device assigned so far, reported or not, the rollout
///   halts, without waiting for the bake time, and reverts every device it assigned.
/// - A wave is followed by the next, or by completion after the last, once its bake time has passed since
///   it started and healthy devices make up at least (1 − `maxFailureRate`) of the assigned devices that are
///   not offline, with at least one healthy report. A device that has not reported `offlineAfterSeconds`
///   after its assignment is offline: it keeps its assignment, is not failed, no longer holds the wave back,
///   and its report still counts when it comes back.
/// - `pause` holds new waves, new assignments and completion until `resume`; reports still count, and
///   crossing the failure threshold still halts and reverts. `resume` keeps the wave's bake deadline.
///   `abort` stops where it is without reverting; `rollback` reverts every assigned device.
/// - `devicesChanged` replaces the targets: leavers are forgotten with no action, newcomers take their
///   place in the seeded order, and a running wave is topped up to its size for the new N, so a newcomer
///   joins the current wave or a later one.
/// - `pinned` is true while a `pinned` rollout holds its devices: until it halts, is rolled back or aborted.
///
/// - Important: halted, rolled back, aborted and completed are terminal. An event that does not fit the
///   phase changes nothing and throws a ``Refusal`` saying why; the one event a completed rollout still
///   takes is a late report, which sets that device's status and moves nothing.
struct RolloutMachine: Codable, Sendable, Equatable {
    /// A device the rollout covers, with the version it ran before (nil if none), so it can be sent back.
    struct Target: Codable, Sendable, Equatable {
        var id: String
        var previousVersion: String?
    }

    /// One target and where it stands in the rollout.
    struct Device: Codable, Sendable, Equatable {
        /// Where a device stands; every target is in exactly one.
        enum Status: String, Codable, Sendable {
            case notAssigned, pending, healthy, failed, reverted

            /// Whether the device's desired version is the rollout's.
            var isAssigned: Bool { self == .pending || self == .healthy || self == .failed }
        }
        let id: String
        let previousVersion: String?
        var status: Status
        /// Seconds since the reference date, a plain number so that any date strategy round-trips it.
        var assignedAt: TimeInterval?
        /// Why its latest report was judged unhealthy.
        var failure: String?
    }

    /// Something that happened to the rollout; `handle(_:at:)` takes the time with it.
    enum Event: Sendable, Equatable {
        case start
        case tick
        case report(device: String, DeviceHealthReport)
        case pause
        case resume
        case abort
        case rollback
        case devicesChanged([Target])
    }

    /// What the caller must do, in order.
    enum Action: Sendable, Equatable {
        /// Make `version` these devices' desired version.
        case assign(devices: [String], version: String)
        /// Send each device back to its previous version (none when `previousVersion` is nil).
        case revert([Target])
        /// Wave `index` (into `policy.waves`) began, adding these devices.
        case waveStarted(index: Int, devices: [String])
        case halted(reason: String)
        case completed
        /// Record this line in the rollout's history: phase and wave changes, target changes, unhealthy
        /// reports and recoveries (healthy reports show only in ``RolloutMachine/counts``).
        case log(LogEntry)
    }

    /// One line of the rollout's history.
    struct LogEntry: Codable, Sendable, Equatable {
        var time: Date
        var message: String
    }

    /// Where the rollout as a whole stands.
    enum Phase: Sendable, Equatable {
        case notStarted
        case running(wave: Int, bakeDeadline: Date)
        case paused(wave: Int, bakeDeadline: Date)
        case halted(reason: String)
        case rolledBack
        case aborted
        case completed

        var isTerminal: Bool {
            switch self {
            case .notStarted, .running, .paused: false
            case .halted, .rolledBack, .aborted, .completed: true
            }
        }
    }

    /// How many targets are in each status, for `deploy status`; they add up to the number of targets.
    struct Counts: Codable, Sendable, Equatable {
        var notAssigned = 0
        var pending = 0
        var healthy = 0
        var failed = 0
        var reverted = 0
    }

    /// Why an event was turned away; the machine is unchanged. Each case reads as one sentence.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case finished(Phase)
        case notStarted
        case alreadyStarted
        case notRunning
        case notPaused
        case notATarget(String)
        case notAssigned(device: String, version: String)

        var description: String {
            switch self {
            case .finished(.halted(let reason)): "the rollout has halted (\(reason)) and takes no more events"
            case .finished(.rolledBack): "the rollout has been rolled back and takes no more events"
            case .finished(.aborted): "the rollout has been aborted and takes no more events"
            case .finished: "the rollout has completed and takes no more events"
            case .notStarted: "the rollout has not started, so nothing is assigned yet"
            case .alreadyStarted: "the rollout has already started"
            case .notRunning: "the rollout is not running, so it cannot be paused"
            case .notPaused: "the rollout is not paused, so it cannot be resumed"
            case .notATarget(let device): "device \(device) is not a target of this rollout"
            case .notAssigned(let device, let version): "device \(device) has not been assigned version \(version) yet"
            }
        }
    }

    let policy: RolloutPolicy
    let version: String
    let seed: UInt64
    /// The targets in the caller's order.
    private(set) var devices: [Device]
    private(set) var phase: Phase = .notStarted
    private var tally: Tally

    private enum CodingKeys: String, CodingKey {
        case policy, version, seed, devices, phase
    }

    /// A rollout of `version` to `targets` (a repeated id counts once); `seed` picks the wave members.
    init(policy: RolloutPolicy, targets: [Target], version: String, seed: UInt64) throws(RolloutPolicyError) {
        try policy.validate()
        self.policy = policy
        self.version = version
        self.seed = seed
        let devices = Self.admit(targets, keeping: [])
        self.devices = devices
        tally = Tally(devices)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        policy = try container.decode(RolloutPolicy.self, forKey: .policy)
        version = try container.decode(String.self, forKey: .version)
        seed = try container.decode(UInt64.self, forKey: .seed)
        let devices = try container.decode([Device].self, forKey: .devices)
        self.devices = devices
        phase = try container.decode(Phase.self, forKey: .phase)
        tally = Tally(devices)
    }

    /// Where the targets stand, for `deploy status`.
    var counts: Counts { tally.counts }

    /// What the rollout knows of `id`, if it is a target.
    func device(_ id: String) -> Device? {
        tally.positions[id].map { devices[$0] }
    }

    /// The wave running or paused, as an index into `policy.waves`.
    var currentWave: Int? {
        switch phase {
        case .running(let wave, _), .paused(let wave, _): wave
        default: nil
        }
    }

    /// Whether the caller must keep other rollouts off this rollout's targets.
    var pinned: Bool {
        switch phase {
        case .halted, .rolledBack, .aborted: false
        case .notStarted, .running, .paused, .completed: policy.strategy == .pinned
        }
    }

    /// Applies `event`, which happened at `now`, and returns what the caller must do, in order. A tick before
    /// the start does nothing; an event the phase cannot take throws and changes nothing.
    mutating func handle(_ event: Event, at now: Date) throws(Refusal) -> [Action] {
        if phase == .completed, case .report(let id, let report) = event {
            return try recordAfterCompletion(report, from: id, at: now)
        }
        if phase.isTerminal { throw .finished(phase) }
        switch event {
        case .start:
            guard phase == .notStarted else { throw .alreadyStarted }
            let opening = log(now, "Rollout of version \(version) to \(devices.count) devices started.")
            return [opening] + enter(wave: 0, at: now) + advance(at: now)
        case .tick:
            return advance(at: now)
        case .report(let id, let report):
            return try record(report, from: id, at: now)
        case .pause:
            guard case .running(let wave, let deadline) = phase else {
                throw phase == .notStarted ? .notStarted : .notRunning
            }
            phase = .paused(wave: wave, bakeDeadline: deadline)
            return [log(now, "Paused by the operator in \(describe(wave: wave)).")]
        case .resume:
            guard case .paused(let wave, let deadline) = phase else { throw .notPaused }
            phase = .running(wave: wave, bakeDeadline: deadline)
            let resumed = log(now, "Resumed by the operator in \(describe(wave: wave)); the bake deadline stands.")
            return [resumed] + topUp(at: now) + advance(at: now)
        case .abort:
            let kept = assignedCount
            phase = .aborted
            return [log(now, "Aborted by the operator; \(kept) assigned devices keep version \(version).")]
        case .rollback:
            guard phase != .notStarted else { throw .notStarted }
            let reverted = revertAssigned()
            phase = .rolledBack
            return revertAction(reverted)
                + [log(now, "Rolled back by the operator; \(reverted.count) devices reverted.")]
        case .devicesChanged(let targets):
            return changeTargets(to: targets, at: now)
        }
    }

    // MARK: - Transitions

    /// Starts wave `index`, assigning the devices it adds.
    private mutating func enter(wave index: Int, at now: Date) -> [Action] {
        let size = policy.cumulativeWaveSizes(deviceCount: devices.count)[index]
        let added = assignNext(size - assignedCount, at: now)
        phase = .running(wave: index, bakeDeadline: now.addingTimeInterval(policy.bakeSeconds))
        let message =
            "Started \(describe(wave: index)) with \(added.count) more devices, "
            + "\(assignedCount) of \(devices.count) in all; it bakes for \(RolloutPolicy.text(policy.bakeSeconds)) s."
        return [.waveStarted(index: index, devices: added)] + assignAction(added) + [log(now, message)]
    }

    /// Moves on through the waves, and to completion, for as long as the gate is open.
    private mutating func advance(at now: Date) -> [Action] {
        var actions: [Action] = []
        while case .running(let wave, let deadline) = phase, now >= deadline, gateIsOpen(at: now) {
            let sizes = policy.cumulativeWaveSizes(deviceCount: devices.count)
            if let next = (wave + 1..<sizes.count).first(where: { sizes[$0] > assignedCount }) {
                actions += enter(wave: next, at: now)
            } else {
                phase = .completed
                let tally = counts
                let message =
                    "Completed: \(tally.healthy) of \(devices.count) devices healthy, \(tally.failed) failed, "
                    + "\(tally.pending) not reported yet."
                actions += [.completed, log(now, message)]
            }
        }
        return actions
    }

    /// Healthy devices cover (1 − maxFailureRate) of the assigned devices not offline, and at least one reported.
    private func gateIsOpen(at now: Date) -> Bool {
        let cutoff = now.timeIntervalSinceReferenceDate - policy.offlineAfterSeconds
        let (assigned, healthy) = (assignedCount, counts.healthy)
        let responsive = assigned - tally.pending(assignedAtOrBefore: cutoff)
        guard healthy > 0 || assigned == 0 else { return false }
        return responsive - healthy <= policy.toleratedFailures(among: responsive)
    }

    /// A running wave grown by newcomers gets its extra devices.
    private mutating func topUp(at now: Date) -> [Action] {
        guard case .running(let wave, _) = phase else { return [] }
        let size = policy.cumulativeWaveSizes(deviceCount: devices.count)[wave]
        let added = assignNext(size - assignedCount, at: now)
        guard !added.isEmpty else { return [] }
        let message = "\(added.count) newly targeted devices joined \(describe(wave: wave))."
        return assignAction(added) + [log(now, message)]
    }

    private mutating func record(_ report: DeviceHealthReport, from id: String, at now: Date) throws(Refusal)
        -> [Action]
    {
        guard let index = tally.positions[id] else { throw .notATarget(id) }
        guard devices[index].status != .notAssigned else { throw .notAssigned(device: id, version: version) }
        switch policy.judge(report) {
        case .healthy:
            let recovered = devices[index].status == .failed
            change(index) {
                $0.status = .healthy; $0.failure = nil
            }
            let line = recovered ? [log(now, "Device \(id) reported healthy after failing.")] : []
            return line + advance(at: now)
        case .unhealthy(let reason):
            change(index) {
                $0.status = .failed; $0.failure = reason
            }
            let line = log(now, "Device \(id) is unhealthy: \(reason).")
            let halt = haltIfTooManyFailed(at: now, naming: id)
            return [line] + (halt.isEmpty ? advance(at: now) : halt)
        }
    }

    /// A report that arrives after the rollout completed (a device that was offline, or slower than the
    /// healthy majority) still sets the device's status; it no longer moves or reverts anything.
    private mutating func recordAfterCompletion(_ report: DeviceHealthReport, from id: String, at now: Date)
        throws(Refusal)
        -> [Action]
    {
        guard let index = tally.positions[id] else { throw .notATarget(id) }
        guard devices[index].status.isAssigned else { throw .notAssigned(device: id, version: version) }
        switch policy.judge(report) {
        case .healthy:
            change(index) {
                $0.status = .healthy; $0.failure = nil
            }
            return []
        case .unhealthy(let reason):
            change(index) {
                $0.status = .failed; $0.failure = reason
            }
            return [log(now, "Device \(id) is unhealthy after the rollout completed: \(reason).")]
        }
    }

    /// Halts and reverts once failures exceed what the policy tolerates among the assigned devices; the reason
    /// quotes device `trigger`, or the first failed device.
    private mutating func haltIfTooManyFailed(at now: Date, naming trigger: String?) -> [Action] {
        let tally = counts
        let assigned = tally.pending + tally.healthy + tally.failed
        guard tally.failed > policy.toleratedFailures(among: assigned),
            let example = devices.first(where: { $0.id == trigger && $0.status == .failed })
                ?? devices.first(where: { $0.status == .failed })
        else { return [] }
        let reason =
            "\(tally.failed) of \(assigned) assigned devices failed, more than the "
            + "\(RolloutPolicy.text(policy.maxFailureRate * 100)) % the policy tolerates; "
            + "device \(example.id): \(example.failure ?? "unhealthy")"
        let reverted = revertAssigned()
        phase = .halted(reason: reason)
        return revertAction(reverted) + [
            .halted(reason: reason), log(now, "Halted, \(reverted.count) devices reverted: \(reason)."),
        ]
    }

    private mutating func changeTargets(to targets: [Target], at now: Date) -> [Action] {
        let before = Set(devices.map(\.id))
        devices = Self.admit(targets, keeping: devices)
        tally = Tally(devices)
        let after = Set(devices.map(\.id))
        let joined = after.subtracting(before).count
        let left = before.subtracting(after).count
        let line = log(now, "Targets changed: \(joined) joined, \(left) left, \(devices.count) in all.")
        let halt = haltIfTooManyFailed(at: now, naming: nil)
        return [line] + (halt.isEmpty ? topUp(at: now) + advance(at: now) : halt)
    }

    // MARK: - Devices

    private var assignedCount: Int {
        counts.pending + counts.healthy + counts.failed
    }

    /// Changes the device at `index`, keeping the tally in step.
    private mutating func change(_ index: Int, _ body: (inout Device) -> Void) {
        tally.remove(devices[index])
        body(&devices[index])
        tally.add(devices[index])
    }

    /// `targets` in their order, once each, keeping what is known of those already in `current`.
    private static func admit(_ targets: [Target], keeping current: [Device]) -> [Device] {
        let known = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<String>()
        return targets.compactMap { target in
            guard seen.insert(target.id).inserted else { return nil }
            return known[target.id]
                ?? Device(id: target.id, previousVersion: target.previousVersion, status: .notAssigned)
        }
    }

    /// Assigns the next `count` unassigned devices in seeded order; returns their ids in target order.
    private mutating func assignNext(_ count: Int, at now: Date) -> [String] {
        guard count > 0 else { return [] }
        let chosen = devices.indices.filter { devices[$0].status == .notAssigned }
            .map { (rank: rank(devices[$0].id), index: $0) }
            .sorted { ($0.rank, devices[$0.index].id) < ($1.rank, devices[$1.index].id) }
            .prefix(count).map(\.index).sorted()
        for index in chosen {
            change(index) {
                $0.status = .pending; $0.assignedAt = now.timeIntervalSinceReferenceDate
            }
        }
        return chosen.map { devices[$0].id }
    }

    /// Marks every assigned device reverted and returns them.
    private mutating func revertAssigned() -> [Target] {
        let indices = devices.indices.filter { devices[$0].status.isAssigned }
        for index in indices { change(index) { $0.status = .reverted } }
        return indices.map { Target(id: devices[$0].id, previousVersion: devices[$0].previousVersion) }
    }

    /// The device's place in the seeded order: FNV-1a over its id, seeded, then SplitMix64's finalizer.
    private func rank(_ id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }

    // MARK: - Output

    private func assignAction(_ ids: [String]) -> [Action] {
        ids.isEmpty ? [] : [.assign(devices: ids, version: version)]
    }

    private func revertAction(_ targets: [Target]) -> [Action] {
        targets.isEmpty ? [] : [.revert(targets)]
    }

    private func log(_ now: Date, _ message: String) -> Action {
        .log(LogEntry(time: now, message: message))
    }

    private func describe(wave index: Int) -> String {
        "wave \(index + 1) of \(policy.waves.count) (\(RolloutPolicy.text(policy.waves[index])) %)"
    }
}

extension RolloutMachine.Phase: Codable {
    /// The fields of the stored phase; only those its case uses are present.
    private enum CodingKeys: String, CodingKey {
        case name, wave, bakeDeadline, reason
    }

    /// The stored name of each case.
    private enum Name: String, Codable {
        case notStarted, running, paused, halted, rolledBack, aborted, completed
    }

    /// Deadlines are stored as seconds since the reference date, so no date strategy can round them.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func wave() throws -> Int { try container.decode(Int.self, forKey: .wave) }
        func deadline() throws -> Date {
            Date(timeIntervalSinceReferenceDate: try container.decode(Double.self, forKey: .bakeDeadline))
        }
        switch try container.decode(Name.self, forKey: .name) {
        case .notStarted: self = .notStarted
        case .running: self = .running(wave: try wave(), bakeDeadline: try deadline())
        case .paused: self = .paused(wave: try wave(), bakeDeadline: try deadline())
        case .halted: self = .halted(reason: try container.decode(String.self, forKey: .reason))
        case .rolledBack: self = .rolledBack
        case .aborted: self = .aborted
        case .completed: self = .completed
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .notStarted: try container.encode(Name.notStarted, forKey: .name)
        case .running(let wave, let deadline):
            try container.encode(Name.running, forKey: .name)
            try container.encode(wave, forKey: .wave)
            try container.encode(deadline.timeIntervalSinceReferenceDate, forKey: .bakeDeadline)
        case .paused(let wave, let deadline):
            try container.encode(Name.paused, forKey: .name)
            try container.encode(wave, forKey: .wave)
            try container.encode(deadline.timeIntervalSinceReferenceDate, forKey: .bakeDeadline)
        case .halted(let reason):
            try container.encode(Name.halted, forKey: .name)
            try container.encode(reason, forKey: .reason)
        case .rolledBack: try container.encode(Name.rolledBack, forKey: .name)
        case .aborted: try container.encode(Name.aborted, forKey: .name)
        case .completed: try container.encode(Name.completed, forKey: .name)
        }
    }
}
