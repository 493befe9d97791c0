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

    func save(_ iteration: RoundIterationRecord) async throws(APIError) {
        try await pool.writing { db in try iteration.save(db) }
    }

    /// Saves an iteration and its run's new state together.
    func save(_ iteration: RoundIterationRecord, roundState: RoundState, failureReason: String? = nil)
        async throws(APIError)
    {
        try await pool.writing { db in
            try iteration.save(db)
            try db.execute(
                sql: "UPDATE rounds SET state = ?, failureReason = ? WHERE id = ?",
                arguments: [roundState.rawValue, failureReason, iteration.roundId])
        }
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

    func saveOptimizerState(_ state: ServerOptimizerState, roundId: String, at now: Date) async throws(APIError) {
        let record = RunOptimizerStateRecord(
            roundId: roundId, step: state.step, state: Data(state.encoded()), updatedAt: now)
        try await pool.writing { db in try record.save(db) }
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

    /// Marks every run left unfinished by a previous process as failed; returns how many.
    func failInterrupted(at now: Date) throws -> Int {
        let reason = "the aggregator restarted"
        return try pool.write { db in
            try db.execute(
                sql:
                    "UPDATE roundIterations SET state = 'failed', failureReason = ?, endedAt = ? WHERE state IN ('waiting', 'running')",
                arguments: [reason, now])
            try db.execute(
                sql: "UPDATE rounds SET state = 'failed', failureReason = ? WHERE state IN ('waiting', 'running')",
                arguments: [reason])
            return db.changesCount
        }
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
                        failedClients: (failures[iteration.iteration] ?? []).map(\.failure))
                },
                failureReason: round.failureReason, createdAt: round.createdAt,
                secureAggregation: round.plan.secureAggregation != nil, privacy: round.plan.privacy,
                evaluation: evaluation?.evaluation, profile: profile)
        }
    }
}
