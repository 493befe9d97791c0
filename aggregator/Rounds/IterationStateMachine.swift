import Foundation
import StarlingCore
import StarlingProtocol

/// The lifecycle of one iteration of a federated run, as a value: events go in (a clock tick with
/// the eligible devices, an accepted update, the aggregation's outcome), actions come out (issue
/// the tasks, aggregate, fail). It does no I/O and reads no clock; ``RoundCoordinator`` does both.
///
/// waiting for clients → (≥ minClients eligible) collecting → (`clients` updates arrived, every device
/// of the cohort submitted or reported a failure, or the deadline, with ≥ minClients updates)
/// aggregating → completed. The cohort is `invited` devices: more than `clients` when over-selecting,
/// so that the round closes at `clients` updates without waiting for the slowest;
/// waiting or collecting → failed when the deadline passes, or every device has answered, short of
/// `minClients` updates.
struct IterationStateMachine: Sendable, Equatable {
    struct Configuration: Sendable, Equatable {
        /// The updates that close the collection.
        var clients: Int
        var minClients: Int
        /// The devices invited into the cohort when over-selecting; `clients` when it is smaller.
        var invited = 0
        var deadlineSeconds: TimeInterval
        /// Seeds the cohort selection.
        var seed: UInt64
    }

    enum State: Sendable, Equatable {
        case waitingForClients(until: Date)
        /// `failed` holds the devices that reported they cannot contribute, with their reasons.
        case collecting(cohort: [String], deadline: Date, received: [String], failed: [String: ClientFailureReason])
        case aggregating(cohort: [String], contributors: [String])
        case completed
        case failed(reason: String)
    }

    enum Action: Sendable, Equatable {
        /// Tell these devices to train; their updates are due by `deadline`.
        case issueTasks(cohort: [String], deadline: Date)
        /// Average these devices' updates into a new version.
        case aggregate(contributors: [String])
        /// The iteration (and so the run) failed.
        case fail(reason: String)
    }

    /// Whether an update from a device may be accepted now.
    enum Admission: Sendable, Equatable {
        case accepted, notInCohort, closed, duplicate
    }

    let configuration: Configuration
    private(set) var state: State

    init(configuration: Configuration, startedAt: Date) {
        self.configuration = configuration
        self.state = .waitingForClients(until: startedAt.addingTimeInterval(configuration.deadlineSeconds))
    }

    /// Time passed; `eligible` are the devices that could join now.
    mutating func tick(now: Date, eligible: [String]) -> Action? {
        switch state {
        case .waitingForClients(let until):
            if eligible.count >= configuration.minClients {
                let cohort = selectCohort(from: eligible)
                let deadline = now.addingTimeInterval(configuration.deadlineSeconds)
                state = .collecting(cohort: cohort, deadline: deadline, received: [], failed: [:])
                return .issueTasks(cohort: cohort, deadline: deadline)
            }
            guard now >= until else { return nil }
            return fail(
                "only \(eligible.count) of \(configuration.minClients) required devices were eligible before the deadline"
            )
        case .collecting(let cohort, let deadline, let received, _):
            guard now >= deadline else { return nil }
            if received.count >= configuration.minClients {
                state = .aggregating(cohort: cohort, contributors: received)
                return .aggregate(contributors: received)
            }
            return fail(
                "only \(received.count) of \(configuration.minClients) required updates arrived before the deadline")
        case .aggregating, .completed, .failed:
            return nil
        }
    }

    func admission(of device: String) -> Admission {
        switch state {
        case .collecting(let cohort, _, let received, let failed):
            guard cohort.contains(device) else { return .notInCohort }
            return received.contains(device) || failed[device] != nil ? .duplicate : .accepted
        case .aggregating(let cohort, _):
            return cohort.contains(device) ? .closed : .notInCohort
        case .waitingForClients:
            return .notInCohort
        case .completed, .failed:
            return .closed
        }
    }

    /// An update from `device` was stored; aggregates once the whole cohort has answered.
    /// Returns the admission it was judged by (anything but `.accepted` changes nothing).
    mutating func updateStored(from device: String) -> (Admission, Action?) {
        let admission = admission(of: device)
        guard admission == .accepted, case .collecting(let cohort, let deadline, var received, let failed) = state
        else {
            return (admission, nil)
        }
        received.append(device)
        return (admission, answered(cohort: cohort, deadline: deadline, received: received, failed: failed))
    }

    /// `device` reported that it cannot contribute (it diverged, or has no data): the iteration
    /// stops waiting for it. Returns the admission it was judged by.
    mutating func clientFailed(_ device: String, reason: ClientFailureReason) -> (Admission, Action?) {
        let admission = admission(of: device)
        guard admission == .accepted, case .collecting(let cohort, let deadline, let received, var failed) = state
        else {
            return (admission, nil)
        }
        failed[device] = reason
        return (admission, answered(cohort: cohort, deadline: deadline, received: received, failed: failed))
    }

    /// Moves on once every device of the cohort has sent an update or reported a failure; short of
    /// `minClients` updates, fails naming how many devices reported which reason.
    private mutating func answered(
        cohort: [String], deadline: Date, received: [String], failed: [String: ClientFailureReason]
    ) -> Action? {
        guard received.count >= configuration.clients || received.count + failed.count == cohort.count else {
            state = .collecting(cohort: cohort, deadline: deadline, received: received, failed: failed)
            return nil
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
        state = .aggregating(cohort: cohort, contributors: received)
        return .aggregate(contributors: received)
    }

    /// The new version is registered.
    mutating func aggregationSucceeded() {
        if case .aggregating = state { state = .completed }
    }

    /// The aggregation could not produce a version.
    mutating func aggregationFailed(reason: String) -> Action? {
        guard case .aggregating = state else { return nil }
        return fail(reason)
    }

    /// The devices chosen to train, once chosen.
    var cohort: [String] {
        switch state {
        case .collecting(let cohort, _, _, _), .aggregating(let cohort, _): return cohort
        case .waitingForClients, .completed, .failed: return []
        }
    }

    /// Up to `clients` of the eligible devices, by a seeded shuffle of their sorted ids.
    private func selectCohort(from eligible: [String]) -> [String] {
        var candidates = Array(Set(eligible)).sorted()
        var rng = SeededRNG(seed: configuration.seed)
        rng.shuffle(&candidates)
        return Array(candidates.prefix(max(configuration.invited, configuration.clients)))
    }

    private mutating func fail(_ reason: String) -> Action {
        state = .failed(reason: reason)
        return .fail(reason: reason)
    }
}
