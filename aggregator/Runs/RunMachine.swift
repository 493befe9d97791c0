import Foundation
import SecureAggregation
import StarlingCore
import StarlingProtocol

/// A federated run's whole lifecycle as a value: its rounds one after another, and in each the
/// cohort's choice, the collection of contributions, the SecAgg+ stages, the aggregation (with the
/// server optimizer's step) and every deadline. Events go in with the time they happened at, actions
/// come out; it does no I/O and reads no clock. ``RunCoordinator`` carries out the actions and
/// writes the machine into the run's row at every phase change (it is `Codable`), so a restarted
/// aggregator takes the run up where it stood (``restarted(at:)``).
///
/// Each round: waiting for devices → (≥ minClients eligible) collecting → closed when `clients`
/// contributions arrived, every device of the cohort answered, or at the deadline with ≥ minClients
/// → aggregating → the result is recorded → the next round, or completed after the last.
/// The cohort is `invited` devices: more than `clients` when over-selecting, so that the round
/// closes at `clients` contributions without waiting for the slowest. Under SecAgg+, collecting
/// takes the key advertisements, then each later stage (share keys, masked input, unmasking) stays
/// open until every device it waits for answered or `secureStageSeconds` passed, and aggregating
/// unmasks the sum. A round fails (and its run with it) when too few devices are eligible, answer,
/// or survive a stage before its deadline.
///
/// A buffered run (``Buffering``, FedBuff) has no cohort to wait for: each tick hands tasks to idle
/// eligible devices up to `clients` at once (``grants``), each from the newest version; every update
/// lands in the buffer collecting now with its staleness, and `size` of them close the round.
///
/// Under SecAgg+, a buffered run's buffers are groups (``SecureGroups``): `size` devices train from
/// the newest version together and sum their updates under SecAgg+ among themselves; each group's
/// unmasked sum, its step shortened by its staleness, is the next version. Several groups are in
/// flight at once, each with its own stages and deadlines; a group below its threshold is dropped
/// whole, and the run fails when no group makes a version within ``groupWindow``.
///
/// After a restart, a plain round keeps its cohort and every stored contribution (they are replayed
/// into it) and gets its full time again; a secure round, whose protocol secrets lived in the lost
/// process, is done again by the same cohort as a new attempt; a buffered run keeps its open tasks
/// and its buffer, and its secure groups start again with the same members.
struct RunMachine: Codable, Sendable, Equatable {
    struct Configuration: Codable, Sendable, Equatable {
        var rounds: Int
        /// The contributions that close a round's collection.
        var clients: Int
        var minClients: Int
        /// The devices invited into a cohort; `clients` when it is larger.
        var invited: Int
        var deadlineSeconds: TimeInterval
        /// How long each SecAgg+ stage after key advertising stays open; nil for plain runs.
        var secureStageSeconds: TimeInterval?
        /// Seeds the cohort selection, mixed with the round number.
        var seed: UInt64
        /// Set for buffered asynchronous runs (FedBuff); nil for rounds one cohort at a time.
        var buffering: Buffering? = nil
        /// How long each device of a cohort has to answer once its task is out: past it, a round
        /// holding `minClients` contributions closes without the devices still silent instead of
        /// waiting for the deadline. nil gives each device the whole deadline.
        var deviceSeconds: TimeInterval? = nil
    }

    /// Buffered asynchronous aggregation (Nguyen et al. 2022, FedBuff): up to `clients` devices
    /// train at any time, each from the newest version when its task is handed out; every `size`
    /// updates make the next version (a round); an update more than `maxStaleness` versions behind
    /// is refused.
    struct Buffering: Codable, Sendable, Equatable {
        var size: Int
        var maxStaleness: Int
    }

    /// A device's task in a buffered run: the round (so the version) it trains from, and until when.
    struct Grant: Codable, Sendable, Equatable {
        var round: Int
        var baseVersion: Int
        var deadline: Date
    }

    enum Phase: Codable, Sendable, Equatable {
        case waitingForDevices(until: Date)
        /// Plain contributions, or under SecAgg+ key advertisements, until `deadline`; `failed`
        /// holds the devices that reported they cannot contribute, with their reasons.
        case collecting(deadline: Date, received: DeviceRoster, failed: [String: ClientFailureReason])
        /// A SecAgg+ stage after key advertising, open until `deadline`.
        case secureStage(SecAggStage, deadline: Date)
        /// The contributions are being combined (plain) or their sum unmasked (SecAgg+), stepped by
        /// the server optimizer and recorded; `contributors` are the plain contributions' devices.
        case aggregating(contributors: [String])
        case completed
        case failed(reason: String)
    }

    /// What the coordinator must do, in order.
    enum Action: Sendable, Equatable {
        /// Tell the cohort to work on the round (a new attempt of it after a restart); its
        /// contributions or key advertisements are due by `deadline`.
        case issueTasks(cohort: [String], deadline: Date)
        /// Close the SecAgg+ stage being collected; the machine already waits on the next one.
        case closeSecureStage
        /// Combine these devices' stored contributions into the round's result (plain runs).
        case combine(contributors: [String])
        /// Unmask the secure sum into the round's result (secure runs).
        case unmask
        /// Buffered secure runs: tell group `group`'s members to train and take part in its SecAgg+.
        case issueGroupTasks(group: Int)
        /// Buffered secure runs: close the SecAgg+ stage group `group` is collecting.
        case closeGroupStage(group: Int)
        /// Buffered secure runs: unmask group `group`'s sum into the round's result.
        case unmaskGroup(group: Int)
        /// Buffered secure runs: group `group` was dropped whole; its members are free again.
        case dropGroup(group: Int, reason: String)
        /// Every round is done.
        case complete
        case fail(reason: String)
    }

    /// Whether a contribution or failure report from a device may be accepted now; `stale` is an
    /// update of a buffered run more than `maxStaleness` versions behind, `busy` one that arrives
    /// while the full buffer is being made a version (the device sends it again a moment later).
    enum Admission: Sendable, Equatable {
        case accepted, notInCohort, closed, duplicate, stale, busy
    }

    let configuration: Configuration
    /// The round being run, from 1.
    private(set) var round = 1
    /// How many times this round was started: more than 1 after a restart redid a secure round.
    private(set) var attempt = 1
    /// The version the round starts from (evaluated, for evaluation runs); 0 for statistics.
    private(set) var baseVersion: Int
    /// The devices chosen for the round, once chosen.
    private(set) var cohort: DeviceRoster = []
    private(set) var phase: Phase
    /// Counts phase changes, so that a write of an older machine never replaces a newer one.
    private(set) var revision = 0
    /// Buffered runs: the devices training now, by device.
    private(set) var grants: [String: Grant] = [:]
    /// Buffered runs: how many versions behind each update in the buffer was, by device.
    private(set) var staleness: [String: Int] = [:]
    /// Buffered secure runs: the groups in flight.
    private(set) var secureGroups = SecureGroups()

    init(configuration: Configuration, baseVersion: Int, startedAt: Date) {
        self.configuration = configuration
        self.baseVersion = baseVersion
        phase = .waitingForDevices(until: startedAt.addingTimeInterval(configuration.deadlineSeconds))
    }

    var isSecure: Bool { configuration.isSecure }

    var isBuffered: Bool { configuration.isBuffered }

    /// A buffered run under SecAgg+: its buffers are secure groups.
    var isGrouped: Bool { isBuffered && isSecure }

    /// Buffered secure runs: how long the run waits for a group to make a version before it fails,
    /// from its start or its last version: twice a group's whole time (training and key
    /// advertising, then three stages), so that a group formed in the first half can finish.
    var groupWindow: TimeInterval {
        2 * (configuration.deadlineSeconds + 3 * (configuration.secureStageSeconds ?? 0))
    }

    /// Buffered secure runs: once a group's sum is being made a version (that change is written),
    /// the other groups go on in memory only. The version's transaction writes the machine as it
    /// stood when the unmasking began, moved on; a write of the other groups' progress landing after
    /// it would take the run back a round. (Their progress needs no write: a restart redoes every
    /// group in flight.)
    var defersWrites: Bool {
        guard isGrouped, case .aggregating = phase else { return false }
        return true
    }

    /// After a round's result was written from an earlier copy of this machine (`written`), this
    /// machine (which went on meanwhile) counts as newer, so that its next write replaces that one.
    mutating func supersede(_ written: RunMachine) {
        revision = max(revision, written.revision + 1)
    }

    /// The session of the plain secure round; buffered secure runs' groups have ids from 1.
    static let roundSession = 0

    /// The secure session `device`'s messages for `round` belong to and the attempt they must
    /// carry: the round's own, or in buffered secure runs the device's group (whose id is its
    /// attempt).
    func secureSession(of device: String, round: Int) -> (id: Int, attempt: Int)? {
        guard isGrouped else { return round == self.round ? (Self.roundSession, attempt) : nil }
        guard let group = secureGroups.group(of: device), group.round == round else { return nil }
        return (group.id, group.id)
    }

    /// One device's task: the round it trains for (in buffered runs, the round of its version) and
    /// the attempt.
    struct TaskKey: Hashable, Sendable {
        var device: String
        var round: Int
        var attempt: Int
    }

    /// The tasks this machine hands out: its cohort's in the round it is on, and its open buffered
    /// tasks.
    var taskKeys: Set<TaskKey> {
        Set(cohort.map { TaskKey(device: $0, round: round, attempt: attempt) })
            .union(grants.map { TaskKey(device: $0.key, round: $0.value.round, attempt: attempt) })
            .union(
                secureGroups.groups.flatMap { group in
                    group.members.map { TaskKey(device: $0, round: group.round, attempt: group.id) }
                })
    }

    var isFinished: Bool {
        switch phase {
        case .completed, .failed: true
        default: false
        }
    }

    /// Where the round stands, as the admin API shows it.
    var stage: RoundStage { Self.stage(of: phase, configuration) }

    /// Where a round in `phase` stands, as the admin API shows it.
    static func stage(of phase: Phase, _ configuration: Configuration) -> RoundStage {
        switch phase {
        case .waitingForDevices: .waitingForDevices
        case .collecting: configuration.isSecure && !configuration.isBuffered ? .advertiseKeys : .collecting
        case .secureStage(.shareKeys, _): .shareKeys
        case .secureStage(.maskedInput, _): .maskedInput
        case .secureStage: .unmasking
        case .aggregating: .aggregating
        case .completed: .completed
        case .failed: .failed
        }
    }

    /// When the round's collection closes, once its cohort is chosen.
    var collectionDeadline: Date? {
        guard case .collecting(let deadline, _, _) = phase else { return nil }
        return deadline
    }

    /// Whether ``tick(now:eligible:)`` looks at the eligible devices now: a buffered run always, a
    /// round only while it waits for its cohort. The others are not given them, which spares the
    /// coordinator a pass over the whole fleet at every tick of a round.
    var wantsEligibleDevices: Bool {
        guard configuration.buffering == nil else { return true }
        if case .waitingForDevices = phase { return true }
        return false
    }

    /// Time passed; `eligible` are the devices that could join now (none when
    /// ``wantsEligibleDevices`` is false).
    mutating func tick(now: Date, eligible: [String]) -> [Action] {
        if let buffering = configuration.buffering, let stageSeconds = configuration.secureStageSeconds {
            return groupedTick(now: now, eligible: eligible, size: buffering.size, stageSeconds: stageSeconds)
        }
        if let buffering = configuration.buffering { return bufferedTick(now: now, eligible: eligible, buffering) }
        switch phase {
        case .waitingForDevices(let until):
            if eligible.count >= configuration.minClients {
                cohort = DeviceRoster(selectCohort(from: eligible))
                let deadline = now.addingTimeInterval(configuration.deadlineSeconds)
                move(to: .collecting(deadline: deadline, received: [], failed: [:]))
                return [.issueTasks(cohort: cohort.devices, deadline: deadline)]
            }
            guard now >= until else { return [] }
            return fail(
                "only \(eligible.count) of \(configuration.minClients) required devices were eligible before the deadline"
            )
        case .collecting(let deadline, let received, _):
            if now < deadline, let deviceSeconds = configuration.deviceSeconds,
                now >= deadline.addingTimeInterval(deviceSeconds - configuration.deadlineSeconds),
                received.count >= configuration.minClients
            {
                return closeCollection(received: received, at: now)
            }
            guard now >= deadline else { return [] }
            guard received.count >= configuration.minClients else {
                return fail(
                    "only \(received.count) of \(configuration.minClients) required updates arrived before the deadline"
                )
            }
            return closeCollection(received: received, at: now)
        case .secureStage(let stage, let deadline):
            return now >= deadline ? closeSecureStage(stage, at: now) : []
        case .aggregating, .completed, .failed:
            return []
        }
    }

    func admission(of device: String) -> Admission {
        if isGrouped { return isFinished ? .closed : secureGroups.admission(of: device) }
        if isBuffered { return bufferedAdmission(of: device) }
        switch phase {
        case .collecting(_, let received, let failed):
            guard cohort.contains(device) else { return .notInCohort }
            return received.contains(device) || failed[device] != nil ? .duplicate : .accepted
        case .secureStage, .aggregating:
            return cohort.contains(device) ? .closed : .notInCohort
        case .waitingForDevices:
            return .notInCohort
        case .completed, .failed:
            return .closed
        }
    }

    /// A contribution (under SecAgg+, a key advertisement) from `device` was taken; the collection
    /// closes once `clients` arrived or the whole cohort answered. Returns the admission it was
    /// judged by (anything but `.accepted` changes nothing).
    mutating func contributionStored(from device: String, at now: Date) -> (Admission, [Action]) {
        let admission = admission(of: device)
        if isGrouped {
            guard admission == .accepted else { return (admission, []) }
            return (admission, groupAnswered(device, failed: false, at: now))
        }
        guard admission == .accepted, case .collecting(let deadline, var received, let failed) = phase else {
            return (admission, [])
        }
        if let buffering = configuration.buffering, let grant = grants.removeValue(forKey: device) {
            return (admission, buffered(device, staleness: round - grant.round, buffering))
        }
        phase = .completed  // for the moment, so that `received` grows in place instead of being copied
        received.append(device)
        return (admission, answered(deadline: deadline, received: received, failed: failed, at: now))
    }

    /// `device` reported that it cannot contribute (it diverged, has no data, was revoked): the
    /// round stops waiting for it. Returns the admission it was judged by.
    mutating func clientFailed(_ device: String, reason: ClientFailureReason, at now: Date) -> (Admission, [Action]) {
        let admission = admission(of: device)
        if isGrouped {
            guard admission == .accepted else { return (admission, []) }
            return (admission, groupAnswered(device, failed: true, at: now))
        }
        guard admission == .accepted, case .collecting(let deadline, let received, var failed) = phase else {
            return (admission, [])
        }
        if isBuffered {
            grantEnded(for: device)
            return (admission, [])
        }
        failed[device] = reason
        return (admission, answered(deadline: deadline, received: received, failed: failed, at: now))
    }

    /// Every device the open SecAgg+ stage waits for has answered: it closes without waiting for
    /// its deadline.
    mutating func secureStageAnswered(at now: Date) -> [Action] {
        guard case .secureStage(let stage, _) = phase else { return [] }
        return closeSecureStage(stage, at: now)
    }

    /// Buffered secure runs: every member group `id`'s open stage waits for has answered; it closes
    /// without waiting for its deadline.
    mutating func groupStageAnswered(_ id: Int, at now: Date) -> [Action] {
        guard case .secure = secureGroups.group(id: id)?.stage else { return [] }
        return closeGroupStage(id, at: now)
    }

    /// Buffered secure runs: group `id`'s secure aggregation cannot go on (too few members survived
    /// a stage, or it could not start); the group is dropped whole and the run goes on.
    mutating func secureGroupFailed(_ id: Int, reason: String, at now: Date) -> [Action] {
        let wasUnmasking = secureGroups.group(id: id)?.stage == .unmasking
        var actions = changingGroups { groups in groups.drop(id, reason: "secure aggregation failed: \(reason)") }
        if wasUnmasking, case .aggregating = phase {
            move(to: .collecting(deadline: now.addingTimeInterval(groupWindow), received: [], failed: [:]))
            actions += unmaskNextGroup()
        }
        return actions
    }

    /// The secure aggregation cannot go on (too few devices survived a stage, or it could not start).
    mutating func secureAggregationFailed(reason: String) -> [Action] {
        guard !isFinished else { return [] }
        return fail("secure aggregation failed: \(reason)")
    }

    /// The round's result is recorded, a new version for training runs: the next round starts
    /// from it, or the run is complete after the last.
    mutating func resultRecorded(version: Int?, at now: Date) -> [Action] {
        guard case .aggregating = phase else { return [] }
        if isGrouped { _ = secureGroups.unmasked() }
        guard round < configuration.rounds else {
            move(to: .completed)
            return [.complete]
        }
        round += 1
        attempt = 1
        cohort = []
        if let version { baseVersion = version }
        if isGrouped {
            move(to: .collecting(deadline: now.addingTimeInterval(groupWindow), received: [], failed: [:]))
            return unmaskNextGroup()
        }
        guard isBuffered else {
            move(to: .waitingForDevices(until: now.addingTimeInterval(configuration.deadlineSeconds)))
            return []
        }
        staleness = [:]
        move(
            to: .collecting(deadline: now.addingTimeInterval(configuration.deadlineSeconds), received: [], failed: [:]))
        return []
    }

    /// The round's result could not be made or recorded.
    mutating func aggregationFailed(reason: String) -> [Action] {
        guard case .aggregating = phase else { return [] }
        return fail(reason)
    }

    /// The run cannot go on whatever phase it is in (a restarted aggregator cannot read what it
    /// needs).
    mutating func abandon(reason: String) -> [Action] {
        guard !isFinished else { return [] }
        return fail(reason)
    }

    /// A new aggregator process took the run over from its stored machine. Waiting and plain
    /// collection get their full time again (the stored contributions are replayed afterwards by
    /// ``contributionStored(from:at:)`` and ``clientFailed(_:reason:at:)``); a plain aggregation
    /// runs again from the stored contributions; a secure round in any stage starts again with the
    /// same cohort as a new attempt.
    mutating func restarted(at now: Date) -> [Action] {
        let deadline = now.addingTimeInterval(configuration.deadlineSeconds)
        if isGrouped, !isFinished {
            if case .waitingForDevices = phase { return [] }
            move(to: .collecting(deadline: now.addingTimeInterval(groupWindow), received: [], failed: [:]))
            return changingGroups { groups in groups.restarted(deadline: deadline) }
        }
        if isBuffered, case .collecting(_, let received, _) = phase {
            for device in grants.keys { grants[device]?.deadline = deadline }
            move(to: .collecting(deadline: deadline, received: received, failed: [:]))
            return []
        }
        switch phase {
        case .waitingForDevices:
            move(to: .waitingForDevices(until: deadline))
            return []
        case .collecting where !isSecure:
            move(to: .collecting(deadline: deadline, received: [], failed: [:]))
            return []
        case .aggregating(let contributors) where !isSecure:
            return [.combine(contributors: contributors)]
        case .collecting, .secureStage, .aggregating:
            attempt += 1
            move(to: .collecting(deadline: deadline, received: [], failed: [:]))
            return [.issueTasks(cohort: cohort.devices, deadline: deadline)]
        case .completed, .failed:
            return []
        }
    }

    /// A buffered run's update, stored before a restart, taken back into the buffer with the
    /// staleness it was stored with; one the buffer holds already changes nothing.
    mutating func bufferedContributionRestored(from device: String, staleness: Int, at now: Date) -> [Action] {
        guard let buffering = configuration.buffering, case .collecting(_, let received, _) = phase,
            !received.contains(device)
        else { return [] }
        grants[device] = nil
        return buffered(device, staleness: staleness, buffering)
    }

    /// Buffered runs: `device`'s task is over without an update counting (it came too late, or the
    /// device gave up), so the device may take a new one.
    mutating func grantEnded(for device: String) {
        guard grants.removeValue(forKey: device) != nil else { return }
        revision += 1
    }

    /// Buffered secure runs: closes groups' stages past their deadline, fails the run when no group
    /// made a version within ``groupWindow``, and forms new groups of `size` from idle eligible
    /// devices while fewer than `clients` devices are in groups (not while a version is being made:
    /// a group formed then would train from a version about to be replaced).
    private mutating func groupedTick(now: Date, eligible: [String], size: Int, stageSeconds: TimeInterval) -> [Action]
    {
        if case .waitingForDevices = phase {
            move(to: .collecting(deadline: now.addingTimeInterval(groupWindow), received: [], failed: [:]))
        }
        var actions: [Action] = []
        for id in secureGroups.expired(at: now) { actions += closeGroupStage(id, at: now) }
        guard case .collecting(let deadline, _, _) = phase else { return actions }
        guard now < deadline else {
            return fail(
                "no group of \(size) devices made a version within \(Int(groupWindow)) seconds (\(eligible.count) devices eligible)"
            )
        }
        let (configuration, round, baseVersion) = (configuration, round, baseVersion)
        let formed = changingGroups { groups in
            groups.form(
                from: eligible, size: size, capacity: configuration.clients, round: round, baseVersion: baseVersion,
                deadline: now.addingTimeInterval(configuration.deadlineSeconds), seed: configuration.seed)
        }
        cohort += formed.flatMap(\.members)
        return actions + formed.map { .issueGroupTasks(group: $0.id) }
    }

    /// Buffered secure runs: a member of a group advertised its keys or reported it cannot take
    /// part; the group's key advertising closes once every member answered.
    private mutating func groupAnswered(_ device: String, failed: Bool, at now: Date) -> [Action] {
        guard let complete = secureGroups.answered(device, failed: failed) else { return [] }
        return closeGroupStage(complete, at: now)
    }

    /// Buffered secure runs: closes group `id`'s open stage, and unmasks its sum when it was the
    /// last one and no other version is being made.
    private mutating func closeGroupStage(_ id: Int, at now: Date) -> [Action] {
        let (minClients, stageSeconds) = (configuration.minClients, configuration.secureStageSeconds ?? 0)
        let actions = changingGroups { groups in
            groups.closeStage(of: id, at: now, minClients: minClients, stageSeconds: stageSeconds)
        }
        return actions + unmaskNextGroup()
    }

    /// Buffered secure runs: while no version is being made, the next group whose sum is ready is
    /// unmasked into one.
    private mutating func unmaskNextGroup() -> [Action] {
        guard case .collecting = phase, let maxStaleness = configuration.buffering?.maxStaleness else { return [] }
        let round = round
        let (next, actions) = changingGroups { groups in groups.nextToUnmask(round: round, maxStaleness: maxStaleness) }
        guard let next else { return actions }
        move(to: .aggregating(contributors: []))
        return actions + [.unmaskGroup(group: next)]
    }

    /// Changes the secure groups, counting a change as a phase change so the machine is written.
    private mutating func changingGroups<Result>(_ change: (inout SecureGroups) -> Result) -> Result {
        let before = secureGroups
        let result = change(&secureGroups)
        if secureGroups != before { revision += 1 }
        return result
    }

    /// Buffered runs: takes `device`'s update into the buffer, and makes a version of a full one.
    private mutating func buffered(_ device: String, staleness lag: Int, _ buffering: Buffering) -> [Action] {
        guard case .collecting(let deadline, var received, let failed) = phase else { return [] }
        phase = .completed  // for the moment, so that `received` grows in place instead of being copied
        received.append(device)
        staleness[device] = lag
        guard received.count >= buffering.size else {
            phase = .collecting(deadline: deadline, received: received, failed: failed)
            revision += 1
            return []
        }
        move(to: .aggregating(contributors: received.devices))
        return [.combine(contributors: received.devices)]
    }

    /// Buffered runs: hands tasks to idle eligible devices up to `clients` training at once, drops
    /// tasks past their deadline, and closes a buffer that did not fill by its deadline with what
    /// it holds (at least `minClients` updates) or fails the run.
    private mutating func bufferedTick(now: Date, eligible: [String], _ buffering: Buffering) -> [Action] {
        if case .waitingForDevices = phase {
            move(
                to: .collecting(
                    deadline: now.addingTimeInterval(configuration.deadlineSeconds), received: [], failed: [:]))
        }
        guard case .collecting(let deadline, let received, _) = phase else { return [] }
        let expired = grants.filter { $0.value.deadline <= now }.map(\.key)
        for device in expired { grants[device] = nil }
        if now >= deadline {
            guard received.count >= configuration.minClients else {
                return fail(
                    "only \(received.count) of \(configuration.minClients) required updates arrived before the deadline"
                )
            }
            move(to: .aggregating(contributors: received.devices))
            return [.combine(contributors: received.devices)]
        }
        let open = configuration.clients - grants.count
        var idle = Array(Set(eligible).subtracting(grants.keys).subtracting(received)).sorted()
        guard open > 0, !idle.isEmpty else {
            if !expired.isEmpty { revision += 1 }
            return []
        }
        var rng = SeededRNG(seed: configuration.seed &+ UInt64(round) &+ UInt64(revision))
        rng.shuffle(&idle)
        let chosen = Array(idle.prefix(open))
        let taskDeadline = now.addingTimeInterval(configuration.deadlineSeconds)
        for device in chosen { grants[device] = Grant(round: round, baseVersion: baseVersion, deadline: taskDeadline) }
        cohort += chosen
        revision += 1
        return [.issueTasks(cohort: chosen, deadline: taskDeadline)]
    }

    /// Buffered runs: a device may send one update per task, into a buffer that is collecting, no
    /// more than `maxStaleness` versions behind.
    private func bufferedAdmission(of device: String) -> Admission {
        switch phase {
        case .collecting(_, let received, _):
            guard let grant = grants[device] else { return received.contains(device) ? .duplicate : .notInCohort }
            return round - grant.round > (configuration.buffering?.maxStaleness ?? 0) ? .stale : .accepted
        case .waitingForDevices:
            return .notInCohort
        case .aggregating:
            return grants[device] == nil ? .closed : .busy
        case .secureStage, .completed, .failed:
            return .closed
        }
    }

    /// Moves on once `clients` contributions arrived or every device of the cohort answered;
    /// short of `minClients` contributions, fails naming how many devices reported which reason.
    private mutating func answered(
        deadline: Date, received: DeviceRoster, failed: [String: ClientFailureReason], at now: Date
    ) -> [Action] {
        guard received.count >= configuration.clients || received.count + failed.count == cohort.count else {
            phase = .collecting(deadline: deadline, received: received, failed: failed)
            return []
        }
        guard received.count >= configuration.minClients else {
            let reasons = ClientFailureReason.allCases.compactMap { reason -> String? in
                let count = failed.values.filter { $0 == reason }.count
                return count > 0 ? "\(count) \(reason.rawValue)" : nil
            }
            return fail(
                "only \(received.count) of \(configuration.minClients) required updates: \(failed.count) of \(cohort.count) devices reported failures (\(reasons.joined(separator: ", ")))"
            )
        }
        return closeCollection(received: received, at: now)
    }

    private mutating func closeCollection(received: DeviceRoster, at now: Date) -> [Action] {
        guard let stageSeconds = configuration.secureStageSeconds else {
            move(to: .aggregating(contributors: received.devices))
            return [.combine(contributors: received.devices)]
        }
        move(to: .secureStage(.shareKeys, deadline: now.addingTimeInterval(stageSeconds)))
        return [.closeSecureStage]
    }

    private mutating func closeSecureStage(_ stage: SecAggStage, at now: Date) -> [Action] {
        let stages = SecAggStage.allCases
        guard let index = stages.firstIndex(of: stage), index + 1 < stages.count,
            let stageSeconds = configuration.secureStageSeconds
        else {
            move(to: .aggregating(contributors: []))
            return [.closeSecureStage, .unmask]
        }
        move(to: .secureStage(stages[index + 1], deadline: now.addingTimeInterval(stageSeconds)))
        return [.closeSecureStage]
    }

    /// Up to `invited` of the eligible devices, by a seeded shuffle of their sorted ids.
    private func selectCohort(from eligible: [String]) -> [String] {
        var candidates = Array(Set(eligible)).sorted()
        var rng = SeededRNG(seed: configuration.seed &+ UInt64(round))
        rng.shuffle(&candidates)
        return Array(candidates.prefix(max(configuration.invited, configuration.clients)))
    }

    private mutating func move(to next: Phase) {
        phase = next
        revision += 1
    }

    private mutating func fail(_ reason: String) -> [Action] {
        move(to: .failed(reason: reason))
        return [.fail(reason: reason)]
    }
}
