import Foundation
import GRDB
import StarlingProtocol

extension RoundResultWrite {
    /// Writes the outcome inside a result's transaction on GRDB's pool, where the registry's stores
    /// write a round's result (a version, an evaluation, a feature profile): the same rows as the
    /// write on an `SQLConnection`.
    func write(_ db: Database, version: Int?) throws {
        let outcome = outcome(version: version)
        try outcome.finished.save(db)
        try outcome.next?.insert(db)
        if let optimizerState {
            try RunOptimizerStateRecord(
                runId: run.id, step: optimizerState.step, state: Data(optimizerState.encoded()), updatedAt: now
            ).save(db)
        }
        let machine = outcome.machine
        let json = String(decoding: try RunRecord.databaseJSONEncoder(for: "machine").encode(machine), as: UTF8.self)
        try db.execute(
            sql: """
                UPDATE runs SET machine = ?, machineRevision = ?, state = ?, failureReason = ?
                WHERE id = ? AND machineRevision <= ?
                """,
            arguments: [
                json, machine.revision, (machine.isFinished ? RoundState.completed : .running).rawValue, nil, run.id,
                machine.revision,
            ])
    }
}
