import Foundation
import StarlingProtocol
import StarlingStorage

/// What replicas that share a database keep of each other's work on runs: the partial sums of
/// plain training updates, and the contributions and failure reports a replica that does not lead
/// admitted against a run's stored machine.
extension RunStore {
    /// Refuses, inside a write transaction, `device`'s contribution or failure report for `round`
    /// unless the run's stored machine takes it now and the device has not answered the round yet: 409 `round_closed` / `duplicate_update`, 403 `not_in_cohort`, 404. The machine's
    /// row is locked until the transaction ends, so it cannot be closed meanwhile.
    static func admitStored(
        _ device: String, runId: String, round: Int, dialect: SQLDialect, in db: any SQLConnection
    ) throws {
        guard let run = try db.fetchOne(RunRecord.self, "SELECT * FROM runs WHERE id = ?\(dialect.rowLock)", runId),
            let machine = run.machine
        else {
            throw APIError.notFound(.roundNotFound, "run '\(runId)' has no round \(round)")
        }
        // A buffered run's device may report again in a round (its report is replaced); only its
        // contribution counts as the one answer.
        let answers = machine.isBuffered ? ["roundUpdates"] : ["roundUpdates", "roundFailures"]
        let stored = try answers.reduce(Int64(0)) { count, table in
            count
                + (try db.integer(
                    "SELECT COUNT(*) FROM \(table) WHERE runId = ? AND round = ? AND deviceId = ?", runId, round, device
                ))
        }
        let admission = stored > 0 ? .duplicate : machine.round == round ? machine.admission(of: device) : .closed
        switch admission {
        case .accepted: return
        case .duplicate: throw APIError.conflict(.duplicateUpdate, "this device already sent its update for this round")
        case .notInCohort: throw RunCoordinator.notInCohort
        case .closed, .busy, .stale: throw RunCoordinator.closed
        }
    }

    /// Adds `entry` to `replica`'s partial sum of the round in `db`.
    static func add(
        _ entry: PartialSum.Entry, runId: String, round: Int, replica: String, dialect: SQLDialect,
        in db: any SQLConnection
    ) throws {
        try db.execute(
            """
            INSERT INTO roundPartialSums (runId, round, replica, devices, weight, scaledWeight, sum)
            VALUES (?, ?, ?, '[]', 0, 0, ?) ON CONFLICT DO NOTHING
            """, runId, round, replica, Data())
        guard
            let row = try db.row(
                SQLStatement(
                    "SELECT * FROM roundPartialSums WHERE runId = ? AND round = ? AND replica = ?\(dialect.rowLock)",
                    binding: [runId, round, replica]))
        else { throw APIError.internal("the partial sum of \(runId)/\(round) vanished") }
        var partial = try partialSum(of: row)
        partial.add(entry)
        try db.execute(
            """
            UPDATE roundPartialSums SET devices = ?, weight = ?, scaledWeight = ?, sum = ?
            WHERE runId = ? AND round = ? AND replica = ?
            """, try String(decoding: JSONEncoder().encode(partial.devices), as: UTF8.self), partial.weight,
            partial.scaledWeight, partial.sumBytes, runId, round, replica)
    }

    /// Every replica's partial sum of the round.
    func partialSums(runId: String, round: Int) async throws(APIError) -> [PartialSum] {
        try await engine.reading { db in
            try db.rows(
                SQLStatement(
                    "SELECT * FROM roundPartialSums WHERE runId = ? AND round = ? ORDER BY replica",
                    binding: [runId, round])
            ).map(Self.partialSum(of:))
        }
    }

    /// Forgets a finished run's partial sums.
    func deletePartialSums(runId: String) async throws(APIError) {
        try await engine.writing { db in try db.execute("DELETE FROM roundPartialSums WHERE runId = ?", runId) }
    }

    /// The devices that stored a contribution or a failure report for the round, with the
    /// contributions' staleness: what a leader replays into the run's machine.
    func reports(runId: String, round: Int) async throws(APIError) -> StoredReports {
        try await engine.reading { db in try StoredReports.read(runId: runId, round: round, in: db) }
    }

    private static func partialSum(of row: SQLRow) throws -> PartialSum {
        let devices = try JSONDecoder().decode([String].self, from: Data(try row.text("devices").utf8))
        guard let sum = PartialSum.values(of: try row.blob("sum")) else {
            throw APIError.internal("a stored partial sum is not whole 64-bit values")
        }
        return PartialSum(
            devices: devices, weight: Int(try row.integer("weight")),
            scaledWeight: Int(try row.integer("scaledWeight")),
            sum: sum)
    }
}

/// The contributions and failure reports stored for one round of a run.
struct StoredReports: Sendable {
    var updates: [(device: String, staleness: Int)] = []
    var failures: [(device: String, reason: ClientFailureReason)] = []

    static func read(runId: String, round: Int, in db: any SQLConnection) throws -> StoredReports {
        let updates = try db.fetchAll(
            RoundUpdateRecord.self,
            "SELECT * FROM roundUpdates WHERE runId = ? AND round = ? ORDER BY receivedAt, deviceId", runId, round)
        let failures = try db.fetchAll(
            RoundFailureRecord.self,
            "SELECT * FROM roundFailures WHERE runId = ? AND round = ? ORDER BY reportedAt, deviceId", runId, round)
        return StoredReports(
            updates: updates.map { ($0.deviceId, $0.staleness ?? 0) },
            failures: failures.map { ($0.deviceId, $0.reason) })
    }
}

extension SQLDialect {
    /// What ends a query that locks the rows it reads until the transaction ends: nothing on
    /// SQLite, whose write transactions hold the whole database.
    var rowLock: String { self == .postgresql ? " FOR UPDATE" : "" }
}
