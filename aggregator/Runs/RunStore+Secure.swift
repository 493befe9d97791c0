import Foundation
import SecureAggregation
import StarlingProtocol
import StarlingStorage

/// Names one secure session of a run in the database: the round its tasks are for, the session
/// (the round's own, or a buffered secure run's group) and the attempt.
struct SecureSessionKey: Sendable, Hashable {
    var runId: String
    var round: Int
    var session: Int
    var attempt: Int
}

/// A stage message a replica that does not lead took, as the leader reads it back.
struct StoredSecureMessage: Sendable {
    var device: String
    /// The neighbours a masked input left out.
    var excluded: [Int]
    /// The JSON message; empty for a masked input, whose words are in the replica's sum.
    var body: [UInt8]
}

/// A replica's sum of the masked inputs it took for one group of a session.
struct StoredMaskedSum: Sendable {
    var group: Int
    var clients: [Int]
    var words: [UInt32]
}

/// Secure sessions shared between replicas: the leader publishes each session's view and closes
/// its stages' intake; the others store the stage messages they take (masked inputs added to
/// their own sums), admitted against the published stage in the same transaction.
extension RunStore {
    /// Publishes the view of a session; refused unless this replica leads.
    func publish(_ view: SecureSessionView, key: SecureSessionKey) async throws(APIError) {
        let data: Data
        do {
            data = try JSONEncoder().encode(view)
        } catch {
            throw .internal("cannot encode a secure session's view: \(error)")
        }
        let leadership = leadership
        try await engine.writing { db in
            try leadership.fence(in: db)
            try db.execute(
                """
                INSERT INTO secureSessions (runId, round, session, attempt, stage, revision, view)
                VALUES (?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT (runId, round, session) DO UPDATE SET attempt = excluded.attempt,
                    stage = excluded.stage, revision = secureSessions.revision + 1, view = excluded.view
                """, key.runId, key.round, key.session, key.attempt, view.stage?.rawValue ?? "", data)
        }
    }

    /// Stops the other replicas taking messages for the session's open stage, which is closing.
    func closeIntake(_ key: SecureSessionKey) async throws(APIError) {
        let leadership = leadership
        try await engine.writing { db in
            try leadership.fence(in: db)
            try db.execute(
                "UPDATE secureSessions SET stage = '' WHERE runId = ? AND round = ? AND session = ?", key.runId,
                key.round, key.session)
        }
    }

    /// Stores a device's message for `stage` if the published session takes it now: 409
    /// `stage_restarted` for another attempt, `secagg_wrong_stage` once the stage is closing,
    /// `duplicate_message` for a second one. A masked input's words go into this replica's sum
    /// for the device's group, and are kept with the message in case exclusions leave the device
    /// out of the survivors.
    func storeSecureMessage(
        _ key: SecureSessionKey, device: String, stage: SecAggStage, excluded: [Int], body: [UInt8],
        masked: (group: Int, client: Int, words: [UInt32])?
    ) async throws(APIError) {
        let (replica, dialect) = (leadership.replica, engine.dialect)
        try await engine.writing { db in
            guard
                let open = try db.row(
                    SQLStatement(
                        "SELECT attempt, stage FROM secureSessions WHERE runId = ? AND round = ? AND session = ?\(dialect.rowLock)",
                        binding: [key.runId, key.round, key.session]))
            else { throw RunCoordinator.closed }
            guard try open.integer("attempt") == key.attempt else {
                throw APIError.conflict(
                    .stageRestarted,
                    "this round's secure aggregation was started again; take the new task from the watch")
            }
            guard try open.text("stage") == stage.rawValue else {
                throw APIError.conflict(
                    .secaggWrongStage, "the secure-aggregation stage \(stage.rawValue) is not taking messages")
            }
            let stored = try db.integer(
                """
                SELECT COUNT(*) FROM secureMessages
                WHERE runId = ? AND round = ? AND session = ? AND attempt = ? AND deviceId = ? AND stage = ?
                """, key.runId, key.round, key.session, key.attempt, device, stage.rawValue)
            guard stored == 0 else {
                throw APIError.conflict(.duplicateMessage, "this device already sent its \(stage.rawValue) message")
            }
            let words = masked.map { Data(MaskedInput.wire($0.words)) } ?? Data()
            try db.execute(
                """
                INSERT INTO secureMessages (runId, round, session, attempt, deviceId, stage, excluded, body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, key.runId, key.round, key.session, key.attempt, device, stage.rawValue,
                excluded.map(String.init).joined(separator: ","), masked == nil ? Data(body) : words)
            if let masked { try Self.add(masked, to: key, replica: replica, dialect: dialect, in: db) }
        }
    }

    /// The messages for `stage` of the session other replicas stored, but those of `skipping`.
    func secureMessages(
        _ key: SecureSessionKey, stage: SecAggStage, skipping: Set<String>
    ) async throws(APIError) -> [StoredSecureMessage] {
        try await engine.reading { db in
            let rows = try db.rows(
                SQLStatement(
                    """
                    SELECT deviceId, excluded FROM secureMessages
                    WHERE runId = ? AND round = ? AND session = ? AND attempt = ? AND stage = ? ORDER BY deviceId
                    """, binding: [key.runId, key.round, key.session, key.attempt, stage.rawValue]))
            var messages: [StoredSecureMessage] = []
            for row in rows {
                let device = try row.text("deviceId")
                guard !skipping.contains(device) else { continue }
                let excluded = try row.text("excluded").split(separator: ",").compactMap { Int($0) }
                var body: [UInt8] = []
                if stage != .maskedInput {
                    body =
                        try db.row(
                            SQLStatement(
                                """
                                SELECT body FROM secureMessages WHERE runId = ? AND round = ? AND session = ?
                                    AND attempt = ? AND deviceId = ? AND stage = ?
                                """,
                                binding: [key.runId, key.round, key.session, key.attempt, device, stage.rawValue]))?
                        .blob("body") ?? []
                }
                messages.append(StoredSecureMessage(device: device, excluded: excluded, body: body))
            }
            return messages
        }
    }

    /// Every replica's sums of the session's masked inputs, by group.
    func maskedSums(_ key: SecureSessionKey) async throws(APIError) -> [StoredMaskedSum] {
        try await engine.reading { db in
            try db.rows(
                SQLStatement(
                    """
                    SELECT groupIndex, clients, words FROM secureMaskedSums
                    WHERE runId = ? AND round = ? AND session = ? AND attempt = ? ORDER BY groupIndex, replica
                    """, binding: [key.runId, key.round, key.session, key.attempt])
            ).map { row in
                guard let words = MaskedInput.words(fromWire: try row.blob("words")) else {
                    throw APIError.internal("a stored masked sum is not whole 32-bit words")
                }
                return StoredMaskedSum(
                    group: Int(try row.integer("groupIndex")),
                    clients: try row.text("clients").split(separator: ",").compactMap { Int($0) }, words: words)
            }
        }
    }

    /// The masked input `device` sent to another replica.
    func maskedInput(_ key: SecureSessionKey, device: String) async throws(APIError) -> [UInt32] {
        let bytes = try await engine.reading { db in
            try db.row(
                SQLStatement(
                    """
                    SELECT body FROM secureMessages WHERE runId = ? AND round = ? AND session = ? AND attempt = ?
                        AND deviceId = ? AND stage = ?
                    """,
                    binding: [
                        key.runId, key.round, key.session, key.attempt, device, SecAggStage.maskedInput.rawValue,
                    ]))?
                .blob("body")
        }
        guard let bytes, let words = MaskedInput.words(fromWire: bytes) else {
            throw .internal("the masked input of \(device) stored by another replica is missing")
        }
        return words
    }

    /// The published views of the sessions of `runs`, but those whose revision is in `known`.
    func secureViews(
        of runs: Set<String>, known: [SecureViewID: Int]
    ) async throws(APIError) -> [SecureViewID: (revision: Int, view: SecureSessionView?)] {
        try await engine.reading { db in
            var views: [SecureViewID: (revision: Int, view: SecureSessionView?)] = [:]
            for row in try db.rows(SQLStatement("SELECT runId, round, session, revision FROM secureSessions")) {
                let id = SecureViewID(
                    runId: try row.text("runId"), round: Int(try row.integer("round")),
                    session: Int(try row.integer("session")))
                let revision = Int(try row.integer("revision"))
                guard runs.contains(id.runId) else { continue }
                guard known[id] != revision else {
                    views[id] = (revision, nil)
                    continue
                }
                let data = try db.row(
                    SQLStatement(
                        "SELECT view FROM secureSessions WHERE runId = ? AND round = ? AND session = ?",
                        binding: [id.runId, id.round, id.session]))?
                    .blob("view")
                views[id] = (
                    revision, try data.map { try JSONDecoder().decode(SecureSessionView.self, from: Data($0)) }
                )
            }
            return views
        }
    }

    /// Forgets a finished run's secure sessions.
    func deleteSecureSessions(runId: String) async throws(APIError) {
        try await engine.writing { db in
            for table in ["secureSessions", "secureMessages", "secureMaskedSums"] {
                try db.execute("DELETE FROM \(table) WHERE runId = ?", runId)
            }
        }
    }

    private static func add(
        _ masked: (group: Int, client: Int, words: [UInt32]), to key: SecureSessionKey, replica: String,
        dialect: SQLDialect, in db: any SQLConnection
    ) throws {
        let bindings: [any SQLValueConvertible] = [
            key.runId, key.round, key.session, key.attempt, masked.group, replica,
        ]
        let row = try db.row(
            SQLStatement(
                """
                SELECT clients, words FROM secureMaskedSums WHERE runId = ? AND round = ? AND session = ?
                    AND attempt = ? AND groupIndex = ? AND replica = ?\(dialect.rowLock)
                """, binding: bindings))
        var clients = try row.map { try $0.text("clients").split(separator: ",").compactMap { Int($0) } } ?? []
        var words = try row.flatMap { MaskedInput.words(fromWire: try $0.blob("words")) } ?? []
        if words.isEmpty { words = [UInt32](repeating: 0, count: masked.words.count) }
        guard words.count == masked.words.count else { throw APIError.internal("a masked sum's length changed") }
        for index in words.indices { words[index] &+= masked.words[index] }
        clients.append(masked.client)
        let text = clients.map(String.init).joined(separator: ",")
        let data = Data(MaskedInput.wire(words))
        if row == nil {
            try db.execute(
                """
                INSERT INTO secureMaskedSums (runId, round, session, attempt, groupIndex, replica, clients, words)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, key.runId, key.round, key.session, key.attempt, masked.group, replica, text, data)
        } else {
            try db.execute(
                """
                UPDATE secureMaskedSums SET clients = ?, words = ? WHERE runId = ? AND round = ? AND session = ?
                    AND attempt = ? AND groupIndex = ? AND replica = ?
                """, text, data, key.runId, key.round, key.session, key.attempt, masked.group, replica)
        }
    }
}

/// Names a published session view: a run's round and session (its attempt is in the view).
struct SecureViewID: Sendable, Hashable {
    var runId: String
    var round: Int
    var session: Int
}
