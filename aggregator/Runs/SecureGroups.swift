import Foundation
import SecureAggregation
import StarlingCore

/// The secure-aggregation groups of a buffered run under SecAgg+ (FedBuff with secure
/// aggregation): each buffer is a group of `size` devices that train from the newest version when
/// the group forms, then sum their updates under SecAgg+ among themselves. A group's unmasked sum
/// is one buffer, so one version; several groups are in flight at once (up to `clients` devices),
/// each with its own stages and deadlines, and a group that falls below its threshold is dropped
/// whole while the others go on. The aggregator never sees less than a group's sum.
///
/// A group's id is unique in its run and is new for each attempt: a device's task and messages
/// carry it as their attempt, so a message for a dropped or redone group is told so (409
/// `stage_restarted`, or the round is closed) instead of landing in another group.
struct SecureGroups: Codable, Sendable, Equatable {
    struct Group: Codable, Sendable, Equatable {
        var id: Int
        /// Device ids by SecAgg+ client index.
        var members: [String]
        /// The round whose base version the group trains from.
        var round: Int
        var baseVersion: Int
        var stage: Stage
    }

    enum Stage: Codable, Sendable, Equatable {
        /// Training, then key advertisements until `deadline`; `failed` reported they cannot take part.
        case advertising(deadline: Date, received: [String], failed: [String])
        /// A SecAgg+ stage after key advertising, open until `deadline`.
        case secure(SecAggStage, deadline: Date)
        /// Every stage closed: the sum waits for its turn to be unmasked into a version.
        case unmaskable
        /// Its sum is being unmasked and made the next version.
        case unmasking
    }

    private(set) var groups: [Group] = []
    /// How many groups were formed, so the next one's id.
    private(set) var formed = 0

    /// The group `device` belongs to now.
    func group(of device: String) -> Group? { groups.first { $0.members.contains(device) } }

    func group(id: Int) -> Group? { groups.first { $0.id == id } }

    /// The devices in a group now.
    var busy: Set<String> { Set(groups.flatMap(\.members)) }

    /// Forms groups of `size` devices from `eligible` ones in no group, while fewer than `capacity`
    /// devices are in groups; a seeded shuffle of their sorted ids chooses.
    mutating func form(
        from eligible: [String], size: Int, capacity: Int, round: Int, baseVersion: Int, deadline: Date, seed: UInt64
    ) -> [Group] {
        let busy = busy
        var open = capacity - busy.count
        var idle = Array(Set(eligible).subtracting(busy)).sorted()
        guard open >= size, idle.count >= size else { return [] }
        var rng = SeededRNG(seed: seed &+ UInt64(formed) &* 0x9E37_79B9)
        rng.shuffle(&idle)
        var new: [Group] = []
        while open >= size, idle.count >= size {
            formed += 1
            new.append(
                Group(
                    id: formed, members: Array(idle.prefix(size)), round: round, baseVersion: baseVersion,
                    stage: .advertising(deadline: deadline, received: [], failed: [])))
            idle.removeFirst(size)
            open -= size
        }
        groups += new
        return new
    }

    /// Whether `device`'s key advertisement or failure report may be taken now.
    func admission(of device: String) -> RunMachine.Admission {
        guard let group = group(of: device) else { return .notInCohort }
        guard case .advertising(_, let received, let failed) = group.stage else { return .closed }
        return received.contains(device) || failed.contains(device) ? .duplicate : .accepted
    }

    /// Takes `device`'s key advertisement (or its failure report, `failed`); returns its group's id
    /// when every member has now answered.
    mutating func answered(_ device: String, failed isFailure: Bool) -> Int? {
        guard let index = groups.firstIndex(where: { $0.members.contains(device) }),
            case .advertising(let deadline, var received, var failed) = groups[index].stage
        else { return nil }
        if isFailure { failed.append(device) } else { received.append(device) }
        groups[index].stage = .advertising(deadline: deadline, received: received, failed: failed)
        return received.count + failed.count == groups[index].members.count ? groups[index].id : nil
    }

    /// Closes group `id`'s stage: key advertising with at least `minClients` keys opens key
    /// sharing, each SecAgg+ stage the next one, and the last leaves the sum to be unmasked; a
    /// group with too few keys is dropped.
    mutating func closeStage(of id: Int, at now: Date, minClients: Int, stageSeconds: TimeInterval)
        -> [RunMachine.Action]
    {
        guard let index = groups.firstIndex(where: { $0.id == id }) else { return [] }
        let stages = SecAggStage.allCases
        switch groups[index].stage {
        case .advertising(_, let received, _):
            guard received.count >= minClients else {
                return drop(
                    id, reason: "only \(received.count) of \(minClients) required devices advertised keys in time")
            }
            groups[index].stage = .secure(.shareKeys, deadline: now.addingTimeInterval(stageSeconds))
        case .secure(let stage, _):
            if let position = stages.firstIndex(of: stage), position + 1 < stages.count {
                groups[index].stage = .secure(stages[position + 1], deadline: now.addingTimeInterval(stageSeconds))
            } else {
                groups[index].stage = .unmaskable
            }
        case .unmaskable, .unmasking:
            return []
        }
        return [.closeGroupStage(group: id)]
    }

    /// The ids of the groups whose stage deadline has passed.
    func expired(at now: Date) -> [Int] {
        groups.compactMap { group in
            switch group.stage {
            case .advertising(let deadline, _, _), .secure(_, let deadline): now >= deadline ? group.id : nil
            case .unmaskable, .unmasking: nil
            }
        }
    }

    /// Drops group `id` whole: its members are free to join another group.
    mutating func drop(_ id: Int, reason: String) -> [RunMachine.Action] {
        guard groups.contains(where: { $0.id == id }) else { return [] }
        groups.removeAll { $0.id == id }
        return [.dropGroup(group: id, reason: reason)]
    }

    /// The next group whose sum is ready, marked as being unmasked; groups more than `maxStaleness`
    /// versions behind `round` are dropped on the way.
    mutating func nextToUnmask(round: Int, maxStaleness: Int) -> (group: Int?, actions: [RunMachine.Action]) {
        var actions: [RunMachine.Action] = []
        while let index = groups.firstIndex(where: { $0.stage == .unmaskable }) {
            let group = groups[index]
            guard round - group.round <= maxStaleness else {
                actions += drop(
                    group.id,
                    reason: "its sum is \(round - group.round) versions behind, more than max_staleness \(maxStaleness)"
                )
                continue
            }
            groups[index].stage = .unmasking
            return (group.id, actions)
        }
        return (nil, actions)
    }

    /// The group being unmasked, removed: its sum became a version.
    mutating func unmasked() -> Group? {
        guard let index = groups.firstIndex(where: { $0.stage == .unmasking }) else { return nil }
        return groups.remove(at: index)
    }

    /// A new aggregator process took the run over: the groups' SecAgg+ secrets were lost with the
    /// old one, so each group starts again with the same members and base as a new group (a new
    /// id), whose key advertisements are due by `deadline`.
    mutating func restarted(deadline: Date) -> [RunMachine.Action] {
        for index in groups.indices {
            formed += 1
            groups[index].id = formed
            groups[index].stage = .advertising(deadline: deadline, received: [], failed: [])
        }
        return groups.map { .issueGroupTasks(group: $0.id) }
    }
}
