import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// A round's end, written in the same transaction as its result (the new version, the evaluation
/// or the feature profile): the round's row completed, the run's machine moved on (with the next
/// round's row, or the run completed) and the server optimizer's state after its step. A process
/// killed at any moment has therefore either recorded all of it or none of it, so a resumed run
/// never registers a round's version twice and never steps the optimizer twice.
struct RoundResultWrite: Sendable {
    /// What the round's end leaves behind once its result is known.
    struct Outcome: Sendable {
        var machine: RunMachine
        var finished: RoundRecord
        var next: RoundRecord?
        var actions: [RunMachine.Action]
    }

    let run: RunRecord
    let machine: RunMachine
    let round: RoundRecord
    let metrics: VersionMetrics?
    let contributors: Int?
    let optimizerState: ServerOptimizerState?
    let now: Date
    /// The epoch the machine is written under.
    let leadership: Leadership

    /// The machine and rounds once the result is recorded; `version` is the version a training
    /// round produced.
    func outcome(version: Int?) -> Outcome {
        var machine = machine
        let actions = machine.resultRecorded(version: version, at: now)
        var finished = round
        finished.state = .completed
        finished.producedVersion = version
        finished.metrics = metrics
        finished.contributors = contributors
        finished.endedAt = now
        var next: RoundRecord?
        if !machine.isFinished {
            next = RunCoordinator.newRound(of: run, number: machine.round, baseVersion: machine.baseVersion, at: now)
        }
        return Outcome(machine: machine, finished: finished, next: next, actions: actions)
    }

    /// Writes the outcome inside the result's transaction.
    func write(_ db: any SQLConnection, version: Int?) throws {
        let outcome = outcome(version: version)
        try db.save(outcome.finished)
        if let next = outcome.next { try db.insert(next) }
        if let optimizerState {
            try db.save(
                RunOptimizerStateRecord(
                    runId: run.id, step: optimizerState.step, state: Data(optimizerState.encoded()), updatedAt: now))
        }
        try RunStore.write(
            outcome.machine, of: run.id, roundState: outcome.machine.isFinished ? .completed : .running,
            fence: leadership, in: db)
    }
}
