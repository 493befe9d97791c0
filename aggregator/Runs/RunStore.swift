import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// The rounds' rows: runs, rounds, accepted contributions, failure reports and the server
/// optimizer's state, and the admin view assembled from them.
struct RunStore: Sendable {
    let engine: any StorageEngine
    /// Every write of a run's machine is a coordination write, refused unless this replica leads.
    let leadership: Leadership

    func insert(_ run: RunRecord, first round: RoundRecord) async throws(APIError) {
        try await engine.writing { db in
            try db.insert(run)
            try db.insert(round)
        }
    }

    /// Writes a run's machine with its state and the row of the round it is on, unless a newer
    /// machine is written already (writes may finish out of order).
    func save(
        _ machine: RunMachine, of runId: String, roundState: RoundState, round: RoundRecord,
        failureReason: String? = nil
    ) async throws(APIError) {
        try await engine.writing { db in
            guard
                try Self.write(
                    machine, of: runId, roundState: roundState, failureReason: failureReason, fence: leadership, in: db)
            else { return }
            try db.save(round)
        }
    }

    /// Writes a run's machine and state in `db` unless a newer machine is written; returns whether
    /// it wrote. Refused with 503 `not_leader` (rolling the transaction back) unless `fence` still
    /// holds the newest epoch.
    @discardableResult
    static func write(
        _ machine: RunMachine, of runId: String, roundState: RoundState, failureReason: String? = nil,
        fence: Leadership, in db: any SQLConnection
    ) throws -> Bool {
        try fence.fence(in: db)
        let changed = try db.execute(
            """
            UPDATE runs SET machine = ?, machineRevision = ?, state = ?, failureReason = ?
            WHERE id = ? AND machineRevision <= ?
            """,
            try SQLValue.column(machine, named: "machine"), machine.revision, roundState.rawValue, failureReason, runId,
            machine.revision)
        return changed > 0
    }

    /// Stores a contribution's row (its bytes are in the file the row names) and, on a database
    /// several replicas share, its bytes too, so a replica that takes the run over reads what
    /// another received; a plain training update also goes into this replica's partial sum of the
    /// round (``PartialSum``). A replica that does not lead admits it against the run's stored
    /// machine in the same transaction (`checked`), which the leader's writes of the machine
    /// serialize with: once a round's close is written, no replica stores anything more for it.
    func insert(
        _ update: RoundUpdateRecord, bytes: [UInt8], adding entry: PartialSum.Entry? = nil, checked: Bool = false
    ) async throws(APIError) {
        let shared = keepsBytes
        let (replica, dialect) = (leadership.replica, engine.dialect)
        try await engine.writing { db in
            if checked {
                try Self.admitStored(
                    update.deviceId, runId: update.runId, round: update.round, dialect: dialect, in: db)
            } else if try db.exists(
                "SELECT 1 FROM roundUpdates WHERE runId = ? AND round = ? AND deviceId = ?", update.runId, update.round,
                update.deviceId)
            {
                // Another replica took it: the device sent it twice.
                throw APIError.conflict(.duplicateUpdate, "this device already sent its update for this round")
            }
            try db.insert(update)
            if let entry {
                try Self.add(
                    entry, runId: update.runId, round: update.round, replica: replica, dialect: dialect, in: db)
            }
            if shared {
                try db.execute(
                    "INSERT INTO roundUpdateBytes (runId, round, deviceId, bytes) VALUES (?, ?, ?, ?)", update.runId,
                    update.round, update.deviceId, Data(bytes))
            }
        }
    }

    /// The bytes a device uploaded: the file its row names if this process has it, else the
    /// database's copy.
    func bytes(of row: RoundUpdateRecord) async throws(APIError) -> [UInt8] {
        if let data = FileManager.default.contents(atPath: row.path) { return Array(data) }
        let stored = try await engine.reading { db in
            try db.row(
                SQLStatement(
                    "SELECT bytes FROM roundUpdateBytes WHERE runId = ? AND round = ? AND deviceId = ?",
                    binding: [row.runId, row.round, row.deviceId]))?
                .blob("bytes")
        }
        guard let stored else { throw .internal("the stored contribution of \(row.deviceId) is missing") }
        return stored
    }

    /// Whether contributions' bytes are kept in the database too: on one several replicas share.
    private var keepsBytes: Bool { engine.dialect == .postgresql }

    /// Forgets the bytes of a finished run's contributions kept in the database.
    func deleteBytes(runId: String) async throws(APIError) {
        guard keepsBytes else { return }
        try await engine.writing { db in try db.execute("DELETE FROM roundUpdateBytes WHERE runId = ?", runId) }
    }

    /// Keeps a failure report; a device of a buffered run reporting again in the same round replaces
    /// its earlier report.
    func insert(_ failure: RoundFailureRecord, checked: Bool = false) async throws(APIError) {
        let dialect = engine.dialect
        try await engine.writing { db in
            if checked {
                try Self.admitStored(
                    failure.deviceId, runId: failure.runId, round: failure.round, dialect: dialect, in: db)
            }
            try db.save(failure)
        }
    }

    /// The run's server-optimizer state after its last step; nil before the first.
    func optimizerState(runId: String) async throws(APIError) -> ServerOptimizerState? {
        let record = try await engine.reading { db in try db.fetchOne(RunOptimizerStateRecord.self, key: runId) }
        guard let record else { return nil }
        do {
            return try ServerOptimizerState(decoding: Array(record.state))
        } catch {
            throw .internal("the server optimizer's stored state of \(runId) is unreadable: \(error)")
        }
    }

    func deleteUpdate(runId: String, round: Int, deviceID: String) async throws(APIError) {
        try await engine.writing { db in
            _ = try db.delete(RoundUpdateRecord.self, key: runId, round, deviceID)
            try db.execute(
                "DELETE FROM roundUpdateBytes WHERE runId = ? AND round = ? AND deviceId = ?", runId, round, deviceID)
        }
    }

    func deleteFailure(runId: String, round: Int, deviceID: String) async throws(APIError) {
        try await engine.writing { db in _ = try db.delete(RoundFailureRecord.self, key: runId, round, deviceID) }
    }

    func round(runId: String, round: Int) async throws(APIError) -> RoundRecord? {
        try await engine.reading { db in try db.fetchOne(RoundRecord.self, key: runId, round) }
    }

    func updates(runId: String, round: Int) async throws(APIError) -> [RoundUpdateRecord] {
        try await engine.reading { db in
            try db.fetchAll(
                RoundUpdateRecord.self, "SELECT * FROM roundUpdates WHERE runId = ? AND round = ? ORDER BY deviceId",
                runId, round)
        }
    }

    /// Marks as failed every unfinished run that kept no machine (recorded by an older aggregator),
    /// which cannot be taken up again; returns how many.
    static func failUnresumable(at now: Date, in db: any SQLConnection) throws -> Int {
        let reason = "the aggregator restarted"
        let unfinished = "SELECT id FROM runs WHERE machine IS NULL AND state IN ('waiting', 'running')"
        try db.execute(
            """
            UPDATE rounds SET state = 'failed', failureReason = ?, endedAt = ?
            WHERE state IN ('waiting', 'running') AND runId IN (\(unfinished))
            """,
            reason, now)
        return try db.execute(
            "UPDATE runs SET state = 'failed', failureReason = ? WHERE id IN (\(unfinished))", reason)
    }

    /// The ids of the newest `limit` runs, newest first.
    func recentIDs(limit: Int) async throws(APIError) -> [String] {
        try await engine.reading { db in
            try db.rows(SQLStatement("SELECT id FROM runs ORDER BY createdAt DESC, id DESC LIMIT ?", binding: [limit]))
                .map { try $0.text("id") }
        }
    }

    /// The plan of run `id`, if there is one.
    func plan(id: String) async throws(APIError) -> RunPlan? {
        try await engine.reading { db in try db.fetchOne(RunRecord.self, key: id)?.plan }
    }

    /// The admin view of a run; 404 `run_not_found` if unknown.
    func info(id: String) async throws(APIError) -> RunInfo {
        try await engine.reading { db in
            guard let round = try db.fetchOne(RunSummaryRecord.self, "SELECT * FROM runs WHERE id = ?", id) else {
                throw APIError.notFound(.runNotFound, "there is no run '\(id)'")
            }
            let rounds = try db.fetchAll(
                RoundSummaryRecord.self,
                """
                SELECT runId, round, state, baseVersion, cohortSize AS cohort, deadline, producedVersion, metrics,
                    failureReason, startedAt, endedAt, contributors, attempt
                FROM rounds WHERE runId = ? ORDER BY round
                """, id)
            let failures = Dictionary(
                grouping: try db.fetchAll(
                    RoundFailureRecord.self,
                    "SELECT * FROM roundFailures WHERE runId = ? ORDER BY reportedAt, round, deviceId", id),
                by: \.round)
            let evaluation = try db.fetchOne(
                EvaluationRecord.self, "SELECT * FROM versionEvaluations WHERE runId = ? ORDER BY id LIMIT 1", id)
            let profile = try db.row(
                SQLStatement(
                    "SELECT name, version FROM featureProfiles WHERE runId = ? ORDER BY version LIMIT 1", binding: [id])
            )
            .map { row in ProfileReference(name: try row.text("name"), version: Int(try row.integer("version"))) }
            let counts = try Dictionary(
                db.rows(
                    SQLStatement(
                        "SELECT round, COUNT(*) AS n FROM roundUpdates WHERE runId = ? GROUP BY round", binding: [id])
                ).map { row in (Int(try row.integer("round")), Int(try row.integer("n"))) },
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
