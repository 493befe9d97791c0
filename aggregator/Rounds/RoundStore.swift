import Foundation
import GRDB
import StarlingCore
import StarlingProtocol

/// The rounds' rows: runs, iterations, accepted contributions, failure reports and the server
/// optimizer's state, and the admin view assembled from them.
struct RoundStore: Sendable {
    let pool: DatabasePool

    func insert(_ round: RoundRecord, first iteration: RoundIterationRecord) async throws(APIError) {
        try await pool.writing { db in
            try round.insert(db)
            try iteration.insert(db)
        }
    }

    /// Writes a run's machine with its state and the row of the round it is on, unless a newer
    /// machine is written already (writes may finish out of order).
    func save(
        _ machine: RunMachine, of runId: String, roundState: RoundState, iteration: RoundIterationRecord,
        failureReason: String? = nil
    ) async throws(APIError) {
        try await pool.writing { db in
            guard try Self.write(machine, of: runId, roundState: roundState, failureReason: failureReason, in: db)
            else { return }
            try iteration.save(db)
        }
    }

    /// Writes a run's machine and state in `db` unless a newer machine is written; returns whether
    /// it wrote.
    @discardableResult
    static func write(
        _ machine: RunMachine, of runId: String, roundState: RoundState, failureReason: String? = nil,
        in db: Database
    ) throws -> Bool {
        let json = String(decoding: try RoundRecord.databaseJSONEncoder(for: "machine").encode(machine), as: UTF8.self)
        try db.execute(
            sql: """
                UPDATE rounds SET machine = ?, machineRevision = ?, state = ?, failureReason = ?
                WHERE id = ? AND machineRevision <= ?
                """,
            arguments: [json, machine.revision, roundState.rawValue, failureReason, runId, machine.revision])
        return db.changesCount > 0
    }

    func insert(_ update: RoundUpdateRecord) async throws(APIError) {
        try await pool.writing { db in try update.insert(db) }
    }

    func insert(_ failure: RoundFailureRecord) async throws(APIError) {
        try await pool.writing { db in try failure.insert(db) }
    }

    /// The run's server-optimizer state after its last step; nil before the first.
    func optimizerState(roundId: String) async throws(APIError) -> ServerOptimizerState? {
        let record = try await pool.reading { db in try RunOptimizerStateRecord.fetchOne(db, key: roundId) }
        guard let record else { return nil }
        do {
            return try ServerOptimizerState(decoding: Array(record.state))
        } catch {
            throw .internal("the server optimizer's stored state of \(roundId) is unreadable: \(error)")
        }
    }

    func deleteUpdate(roundId: String, iteration: Int, deviceID: String) async throws(APIError) {
        try await pool.writing { db in
            _ = try RoundUpdateRecord.deleteOne(
                db, key: ["roundId": roundId, "iteration": iteration, "deviceId": deviceID])
        }
    }

    func deleteFailure(roundId: String, iteration: Int, deviceID: String) async throws(APIError) {
        try await pool.writing { db in
            _ = try RoundFailureRecord.deleteOne(
                db, key: ["roundId": roundId, "iteration": iteration, "deviceId": deviceID])
        }
    }

    func iteration(roundId: String, iteration: Int) async throws(APIError) -> RoundIterationRecord? {
        try await pool.reading { db in
            try RoundIterationRecord.fetchOne(db, key: ["roundId": roundId, "iteration": iteration])
        }
    }

    func updates(roundId: String, iteration: Int) async throws(APIError) -> [RoundUpdateRecord] {
        try await pool.reading { db in
            try RoundUpdateRecord.filter(Column("roundId") == roundId && Column("iteration") == iteration).fetchAll(db)
        }
    }

    /// Marks as failed every unfinished run that kept no machine (recorded by an older aggregator),
    /// which cannot be taken up again; returns how many.
    static func failUnresumable(at now: Date, in db: Database) throws -> Int {
        let reason = "the aggregator restarted"
        let unfinished = "SELECT id FROM rounds WHERE machine IS NULL AND state IN ('waiting', 'running')"
        try db.execute(
            sql: """
                UPDATE roundIterations SET state = 'failed', failureReason = ?, endedAt = ?
                WHERE state IN ('waiting', 'running') AND roundId IN (\(unfinished))
                """,
            arguments: [reason, now])
        try db.execute(
            sql: "UPDATE rounds SET state = 'failed', failureReason = ? WHERE id IN (\(unfinished))",
            arguments: [reason])
        return db.changesCount
    }

    /// The ids of the newest `limit` runs, newest first.
    func recentIDs(limit: Int) async throws(APIError) -> [String] {
        try await pool.reading { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM rounds ORDER BY createdAt DESC, id DESC LIMIT ?", arguments: [limit])
        }
    }

    /// The admin view of a run; 404 `round_not_found` if unknown.
    func info(id: String) async throws(APIError) -> RoundInfo {
        try await pool.reading { db in
            guard let round = try RoundRecord.fetchOne(db, key: id) else {
                throw APIError.notFound(.roundNotFound, "there is no round '\(id)'")
            }
            let iterations = try RoundIterationRecord.filter(Column("roundId") == id).order(Column("iteration"))
                .fetchAll(db)
            let failures = Dictionary(
                grouping: try RoundFailureRecord.filter(Column("roundId") == id).order(Column("reportedAt")).fetchAll(
                    db),
                by: \.iteration)
            let evaluation = try EvaluationRecord.filter(Column("runId") == id).fetchOne(db)
            let profile = try Row.fetchOne(
                db, sql: "SELECT name, version FROM featureProfiles WHERE runId = ?", arguments: [id]
            )
            .map { ProfileReference(name: $0["name"], version: $0["version"]) }
            let counts = try Dictionary(
                Row.fetchAll(
                    db, sql: "SELECT iteration, COUNT(*) AS n FROM roundUpdates WHERE roundId = ? GROUP BY iteration",
                    arguments: [id]
                ).map { (row: Row) -> (Int, Int) in (row["iteration"], row["n"]) },
                uniquingKeysWith: { first, _ in first })
            return RoundInfo(
                id: round.id, kind: round.kind, model: round.model, state: round.state, totalRounds: round.plan.rounds,
                clients: round.plan.clients, minClients: round.plan.minClients, localEpochs: round.plan.localEpochs,
                learningRate: round.plan.learningRate,
                iterations: iterations.map { iteration in
                    RoundIterationInfo(
                        iteration: iteration.iteration, state: iteration.state, baseVersion: iteration.baseVersion,
                        cohortSize: iteration.cohort.count,
                        updatesReceived: counts[iteration.iteration] ?? iteration.contributors ?? 0,
                        producedVersion: iteration.producedVersion, metrics: iteration.metrics,
                        failureReason: iteration.failureReason, startedAt: iteration.startedAt,
                        endedAt: iteration.endedAt,
                        failedClients: (failures[iteration.iteration] ?? []).map(\.failure), attempt: iteration.attempt)
                },
                failureReason: round.failureReason, createdAt: round.createdAt,
                secureAggregation: round.plan.secureAggregation != nil, privacy: round.plan.privacy,
                evaluation: evaluation?.evaluation, profile: profile, stage: round.machine?.stage)
        }
    }
}
