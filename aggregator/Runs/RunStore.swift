import Foundation
import GRDB
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// The rounds' rows: runs, rounds, accepted contributions, failure reports and the server
/// optimizer's state, and the admin view assembled from them.
struct RunStore: Sendable {
    let pool: DatabasePool

    func insert(_ run: RunRecord, first round: RoundRecord) async throws(APIError) {
        try await pool.writing { db in
            try run.insert(db)
            try round.insert(db)
        }
    }

    /// Writes a run's machine with its state and the row of the round it is on, unless a newer
    /// machine is written already (writes may finish out of order).
    func save(
        _ machine: RunMachine, of runId: String, roundState: RoundState, round: RoundRecord,
        failureReason: String? = nil
    ) async throws(APIError) {
        try await pool.writing { db in
            guard try Self.write(machine, of: runId, roundState: roundState, failureReason: failureReason, in: db)
            else { return }
            try round.save(db)
        }
    }

    /// Writes a run's machine and state in `db` unless a newer machine is written; returns whether
    /// it wrote.
    @discardableResult
    static func write(
        _ machine: RunMachine, of runId: String, roundState: RoundState, failureReason: String? = nil,
        in db: Database
    ) throws -> Bool {
        let json = String(decoding: try RunRecord.databaseJSONEncoder(for: "machine").encode(machine), as: UTF8.self)
        try db.execute(
            sql: """
                UPDATE runs SET machine = ?, machineRevision = ?, state = ?, failureReason = ?
                WHERE id = ? AND machineRevision <= ?
                """,
            arguments: [json, machine.revision, roundState.rawValue, failureReason, runId, machine.revision])
        return db.changesCount > 0
    }

    /// Writes a run's machine and state in `db` unless a newer machine is written; returns whether
    /// it wrote.
    @discardableResult
    static func write(
        _ machine: RunMachine, of runId: String, roundState: RoundState, failureReason: String? = nil,
        in db: any SQLConnection
    ) throws -> Bool {
        let json = String(decoding: try RunRecord.databaseJSONEncoder(for: "machine").encode(machine), as: UTF8.self)
        return try db.execute(
            """
            UPDATE runs SET machine = ?, machineRevision = ?, state = ?, failureReason = ?
            WHERE id = ? AND machineRevision <= ?
            """,
            json, machine.revision, roundState.rawValue, failureReason, runId, machine.revision) > 0
    }

    func insert(_ update: RoundUpdateRecord) async throws(APIError) {
        try await pool.writing { db in try update.insert(db) }
    }

    /// Keeps a failure report; a device of a buffered run reporting again in the same round replaces
    /// its earlier report.
    func insert(_ failure: RoundFailureRecord) async throws(APIError) {
        try await pool.writing { db in try failure.save(db) }
    }

    /// The run's server-optimizer state after its last step; nil before the first.
    func optimizerState(runId: String) async throws(APIError) -> ServerOptimizerState? {
        let record = try await pool.reading { db in try RunOptimizerStateRecord.fetchOne(db, key: runId) }
        guard let record else { return nil }
        do {
            return try ServerOptimizerState(decoding: Array(record.state))
        } catch {
            throw .internal("the server optimizer's stored state of \(runId) is unreadable: \(error)")
        }
    }

    func deleteUpdate(runId: String, round: Int, deviceID: String) async throws(APIError) {
        try await pool.writing { db in
            _ = try RoundUpdateRecord.deleteOne(
                db, key: ["runId": runId, "round": round, "deviceId": deviceID])
        }
    }

    func deleteFailure(runId: String, round: Int, deviceID: String) async throws(APIError) {
        try await pool.writing { db in
            _ = try RoundFailureRecord.deleteOne(
                db, key: ["runId": runId, "round": round, "deviceId": deviceID])
        }
    }

    func round(runId: String, round: Int) async throws(APIError) -> RoundRecord? {
        try await pool.reading { db in
            try RoundRecord.fetchOne(db, key: ["runId": runId, "round": round])
        }
    }

    func updates(runId: String, round: Int) async throws(APIError) -> [RoundUpdateRecord] {
        try await pool.reading { db in
            try RoundUpdateRecord.filter(Column("runId") == runId && Column("round") == round).fetchAll(db)
        }
    }

    /// Marks as failed every unfinished run that kept no machine (recorded by an older aggregator),
    /// which cannot be taken up again; returns how many.
    static func failUnresumable(at now: Date, in db: Database) throws -> Int {
        let reason = "the aggregator restarted"
        let unfinished = "SELECT id FROM runs WHERE machine IS NULL AND state IN ('waiting', 'running')"
        try db.execute(
            sql: """
                UPDATE rounds SET state = 'failed', failureReason = ?, endedAt = ?
                WHERE state IN ('waiting', 'running') AND runId IN (\(unfinished))
                """,
            arguments: [reason, now])
        try db.execute(
            sql: "UPDATE runs SET state = 'failed', failureReason = ? WHERE id IN (\(unfinished))",
            arguments: [reason])
        return db.changesCount
    }

    /// The ids of the newest `limit` runs, newest first.
    func recentIDs(limit: Int) async throws(APIError) -> [String] {
        try await pool.reading { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM runs ORDER BY createdAt DESC, id DESC LIMIT ?", arguments: [limit])
        }
    }

    /// The plan of run `id`, if there is one.
    func plan(id: String) async throws(APIError) -> RunPlan? {
        try await pool.reading { db in try RunRecord.fetchOne(db, key: id)?.plan }
    }

    /// The admin view of a run; 404 `run_not_found` if unknown.
    func info(id: String) async throws(APIError) -> RunInfo {
        try await pool.reading { db in
            guard let round = try RunRecord.fetchOne(db, key: id) else {
                throw APIError.notFound(.runNotFound, "there is no run '\(id)'")
            }
            let rounds = try RoundRecord.filter(Column("runId") == id).order(Column("round"))
                .fetchAll(db)
            let failures = Dictionary(
                grouping: try RoundFailureRecord.filter(Column("runId") == id).order(Column("reportedAt")).fetchAll(
                    db),
                by: \.round)
            let evaluation = try EvaluationRecord.filter(Column("runId") == id).fetchOne(db)
            let profile = try Row.fetchOne(
                db, sql: "SELECT name, version FROM featureProfiles WHERE runId = ?", arguments: [id]
            )
            .map { ProfileReference(name: $0["name"], version: $0["version"]) }
            let counts = try Dictionary(
                Row.fetchAll(
                    db, sql: "SELECT round, COUNT(*) AS n FROM roundUpdates WHERE runId = ? GROUP BY round",
                    arguments: [id]
                ).map { (row: Row) -> (Int, Int) in (row["round"], row["n"]) },
                uniquingKeysWith: { first, _ in first })
            return RunInfo(
                id: round.id, kind: round.kind, model: round.model, state: round.state, totalRounds: round.plan.rounds,
                clients: round.plan.clients, minClients: round.plan.minClients, localEpochs: round.plan.localEpochs,
                learningRate: round.plan.learningRate,
                rounds: rounds.map { round in
                    RoundInfo(
                        round: round.round, state: round.state, baseVersion: round.baseVersion,
                        cohortSize: round.cohort.count,
                        updatesReceived: counts[round.round] ?? round.contributors ?? 0,
                        producedVersion: round.producedVersion, metrics: round.metrics,
                        failureReason: round.failureReason, startedAt: round.startedAt,
                        endedAt: round.endedAt,
                        failedClients: (failures[round.round] ?? []).map(\.failure), attempt: round.attempt)
                },
                failureReason: round.failureReason, createdAt: round.createdAt,
                secureAggregation: round.plan.secureAggregation != nil, privacy: round.plan.privacy,
                evaluation: evaluation?.evaluation, profile: profile, stage: round.machine?.stage)
        }
    }
}
