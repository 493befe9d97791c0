import Foundation
import StarlingProtocol

/// One deployment in memory: its row and its wave machine.
struct Rollout: Sendable {
    /// The row, without its machine (see ``machine``).
    var record: DeploymentRecord
    var machine: RolloutMachine
    /// The machine changed since it was last written.
    var dirty = false

    /// `record`'s stored machine is dropped: `machine` is the live one, written back with the row.
    init(record: DeploymentRecord, machine: RolloutMachine) {
        self.record = record
        self.record.machine = nil
        self.machine = machine
    }

    /// The machine's record of `device`, if it is a target.
    func device(_ id: String) -> RolloutMachine.Device? { machine.device(id) }

    /// Feeds `event` to the machine and keeps the row's state in step.
    mutating func handle(_ event: RolloutMachine.Event, at now: Date) throws(RolloutMachine.Refusal) -> [RolloutMachine
        .Action]
    {
        let actions = try machine.handle(event, at: now)
        if record.state != .superseded {
            (record.state, record.reason) = Self.state(of: machine.phase, reason: record.reason)
        }
        // A tick that does nothing changes nothing; a report may change a device without any action.
        if !actions.isEmpty || event.isReport { dirty = true }
        return actions
    }

    /// `model@version` of the version rolled out.
    var tag: String { machine.version }

    /// Whether the machine still acts on events (running or paused, and not superseded).
    var isLive: Bool { !machine.phase.isTerminal && record.state != .superseded }

    /// The API's state for a machine phase.
    static func state(of phase: RolloutMachine.Phase, reason: String?) -> (DeploymentState, String?) {
        switch phase {
        case .notStarted, .running: (.running, nil)
        case .paused: (.paused, nil)
        case .halted(let why): (.halted, why)
        case .rolledBack: (.rolledBack, reason)
        case .aborted: (.aborted, reason)
        case .completed: (.completed, nil)
        }
    }

    /// The admin view.
    var info: DeploymentInfo {
        let counts = machine.counts
        let version = VersionTag(tag)?.version ?? record.version
        return DeploymentInfo(
            id: record.id, model: record.model, version: version, alias: record.alias, selector: record.selector,
            strategy: machine.policy.strategy, state: record.state, reason: record.reason, waves: machine.policy.waves,
            currentWave: record.state == .superseded ? nil : machine.currentWave,
            bakeSeconds: machine.policy.bakeSeconds,
            maxFailureRate: machine.policy.maxFailureRate, targeted: machine.devices.count,
            counts: DeploymentCounts(
                waiting: counts.notAssigned, pending: counts.pending, installed: counts.healthy, failed: counts.failed,
                rolledBack: counts.reverted),
            createdAt: record.createdAt)
    }
}

/// `model@version`, how rollouts name the version a device should run.
struct VersionTag: Hashable, Sendable, CustomStringConvertible {
    let model: String
    let version: Int

    init(model: String, version: Int) {
        self.model = model
        self.version = version
    }

    init?(_ text: String) {
        guard let at = text.lastIndex(of: "@"), let version = Int(text[text.index(after: at)...]) else { return nil }
        model = String(text[..<at])
        self.version = version
    }

    var description: String { "\(model)@\(version)" }
}

extension RolloutMachine.Event {
    fileprivate var isReport: Bool {
        if case .report = self { true } else { false }
    }
}
