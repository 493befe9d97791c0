import StarlingProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why feedback was refused, item by item.
enum FeedbackRefusal: Error, Equatable {
    /// No prediction is kept under the key: never asked, or older than the retention.
    case unknownKey(String)
    /// The prediction has its feedback already.
    case duplicate(String)
    /// The label is not one of the version's labels.
    case unknownLabel(key: String, label: String)
    case store(String)
}

/// A prediction that got its feedback (with what a shadow answered for it, if one did).
struct AnsweredPrediction: Sendable {
    var prediction: LoggedPrediction
    var truth: String
}

extension AgentStore {
    /// Writes keyed predictions (a later prediction under a key replaces an earlier one), the shadow
    /// answers for them, and closed monitor windows, then forgets predictions older than `retention`
    /// seconds and the oldest past the limits, all in one transaction.
    func recordMonitoring(
        _ predictions: [LoggedPrediction], shadows: [ShadowAnswer] = [], windows: [MonitorWindow],
        settings: MonitorSettings, now: Double
    ) async throws(AgentError) {
        let encoded = windows.compactMap { window in (try? StarlingJSON.encoder().encode(window)).map { (window, $0) } }
        try await write { db throws(SQLiteError) in
            let insert = try db.prepare(
                """
                INSERT OR REPLACE INTO prediction (key, version, label, confidence, escalated, created_at, experiment)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for prediction in predictions {
                try insert.run([
                    .text(prediction.key), .text(prediction.version), .text(prediction.label),
                    .real(prediction.confidence), .integer(prediction.escalated ? 1 : 0), .real(prediction.createdAt),
                    prediction.experiment.map { .text($0) } ?? .null,
                ])
            }
            let shadow = try db.prepare(
                """
                UPDATE prediction SET shadow_version = ?, shadow_label = ?
                WHERE key = ? AND experiment = ? AND feedback IS NULL
                """)
            for answer in shadows {
                try shadow.run([
                    .text(answer.version), .text(answer.label), .text(answer.key), .text(answer.experiment),
                ])
            }
            let window = try db.prepare("INSERT INTO monitor_window (version, start, body) VALUES (?, ?, ?)")
            for (value, body) in encoded {
                try window.run([.text(value.version), .real(value.start), .blob(Array(body))])
            }
            try db.prepare("DELETE FROM prediction WHERE created_at < ?").run([.real(now - settings.retentionSeconds)])
            try db.prepare(
                """
                DELETE FROM prediction WHERE key IN (
                    SELECT key FROM prediction ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)
                """
            ).run([.integer(Int64(settings.predictionLimit))])
            try db.prepare(
                "DELETE FROM monitor_window WHERE id IN (SELECT id FROM monitor_window ORDER BY start DESC, id DESC LIMIT -1 OFFSET ?)"
            ).run([.integer(Int64(settings.windowLimit))])
        }
    }

    /// Attaches every item's label to its prediction, all or none: refused when a key is unknown
    /// or older than `retention` seconds, already has feedback, or the label is not one of
    /// `labels(version)` (when the version's labels are known).
    func attachFeedback(
        _ items: [FeedbackRequest], retention: Double, now: Double,
        labels: @escaping @Sendable (String) -> [String]?
    ) async throws(FeedbackRefusal) -> [AnsweredPrediction] {
        let outcome: Result<[AnsweredPrediction], FeedbackRefusal>
        do {
            outcome = try await write { db throws(SQLiteError) in
                let find = try db.prepare(
                    """
                    SELECT version, label, confidence, escalated, created_at, feedback, experiment, shadow_version,
                        shadow_label
                    FROM prediction WHERE key = ? AND created_at >= ?
                    """)
                let attach = try db.prepare("UPDATE prediction SET feedback = ?, feedback_at = ? WHERE key = ?")
                var answered: [AnsweredPrediction] = []
                var seen: Set<String> = []
                for item in items {
                    let rows = try find.rows([.text(item.key), .real(now - retention)]) { row in
                        let experiment = row.text(6)
                        var shadow: ShadowAnswer?
                        if let version = row.text(7), let label = row.text(8) {
                            shadow = ShadowAnswer(
                                key: item.key, experiment: experiment ?? "", version: version, label: label)
                        }
                        return (
                            LoggedPrediction(
                                key: item.key, version: row.text(0) ?? "", label: row.text(1) ?? "",
                                confidence: row.real(2), escalated: row.integer(3) != 0, createdAt: row.real(4),
                                experiment: experiment, shadow: shadow),
                            row.text(5)
                        )
                    }
                    guard let (prediction, feedback) = rows.first else { return .failure(.unknownKey(item.key)) }
                    guard feedback == nil, seen.insert(item.key).inserted else {
                        return .failure(.duplicate(item.key))
                    }
                    if let known = labels(prediction.version), !known.contains(item.label) {
                        return .failure(.unknownLabel(key: item.key, label: item.label))
                    }
                    answered.append(AnsweredPrediction(prediction: prediction, truth: item.label))
                }
                // Written only once every item passed, so a refused batch changes nothing.
                for item in answered {
                    try attach.run([.text(item.truth), .real(now), .text(item.prediction.key)])
                }
                return .success(answered)
            }
        } catch {
            throw .store(error.description)
        }
        return try outcome.get()
    }

    /// The closed monitor windows that started at or after `since`, oldest first.
    func monitorWindows(since: Double) async throws(AgentError) -> [MonitorWindow] {
        try await read { db throws(SQLiteError) in
            try db.prepare("SELECT body FROM monitor_window WHERE start >= ? ORDER BY start, id")
                .rows([.real(since)]) { row in
                    try? StarlingJSON.decoder().decode(MonitorWindow.self, from: Data(row.blob(0)))
                }
                .compactMap { $0 }
        }
    }

    /// Up to `limit` closed windows the aggregator does not have yet, oldest first, with their row ids.
    func unsentMonitorWindows(limit: Int) async throws(AgentError) -> [(id: Int64, window: MonitorWindow)] {
        try await read { db throws(SQLiteError) in
            try db.prepare("SELECT id, body FROM monitor_window WHERE sent = 0 ORDER BY start, id LIMIT ?")
                .rows([.integer(Int64(limit))]) { row -> (id: Int64, window: MonitorWindow)? in
                    guard let window = try? StarlingJSON.decoder().decode(MonitorWindow.self, from: Data(row.blob(1)))
                    else { return nil }
                    return (row.integer(0), window)
                }
                .compactMap { $0 }
        }
    }

    /// The closed windows not sent yet that started at or after `since`, with their row ids.
    func unsentMonitorWindows(since: Double) async throws(AgentError) -> [(id: Int64, window: MonitorWindow)] {
        try await read { db throws(SQLiteError) in
            try db.prepare("SELECT id, body FROM monitor_window WHERE sent = 0 AND start >= ? ORDER BY start, id")
                .rows([.real(since)]) { row -> (id: Int64, window: MonitorWindow)? in
                    guard let window = try? StarlingJSON.decoder().decode(MonitorWindow.self, from: Data(row.blob(1)))
                    else { return nil }
                    return (row.integer(0), window)
                }
                .compactMap { $0 }
        }
    }

    /// Marks windows as sent to the aggregator (or refused by it for good).
    func markMonitorWindowsSent(_ ids: [Int64]) async throws(AgentError) {
        try await write { db throws(SQLiteError) in
            let statement = try db.prepare("UPDATE monitor_window SET sent = 1 WHERE id = ?")
            for id in ids { try statement.run([.integer(id)]) }
        }
    }

    /// How many keyed predictions the store keeps now.
    func predictionCount() async throws(AgentError) -> Int {
        try await read { db throws(SQLiteError) in
            Int(try db.prepare("SELECT COUNT(*) FROM prediction").rows { $0.integer(0) }.first ?? 0)
        }
    }
}
