import Dispatch
import StarlingProtocol
import StarlingTransport
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The agent's durable state in one SQLite file (WAL): labelled samples with their split, the
/// two model slots, the counters and the privacy ledger. Safe to share between the daemon and `ingest`.
public final class AgentStore: Sendable {
    private let connection: Mutex<SQLiteConnection>
    /// Store calls run here, one at a time, so a disk wait never holds a Swift concurrency thread.
    private let queue = DispatchQueue(label: "starling.agent.store")

    /// Opens (creating when needed) the store at `path` and brings its schema up to date. The
    /// folder holding it (the agent's data folder) is made private (0700) and the database files
    /// 0600, since they hold the device's samples and, beside them, its key.
    public init(path: URL) throws(AgentError) {
        do {
            try PrivateFiles.folder(path.deletingLastPathComponent())
            try PrivateFiles.database(path)
        } catch {
            throw .store("cannot open \(path.path): \(error)")
        }
        do {
            let connection = try SQLiteConnection(path: path.path, busyTimeout: 5_000)
            try StoreMigrations.migrate(connection)
            self.connection = Mutex(connection)
        } catch {
            throw .store("cannot open \(path.path): \(error)")
        }
    }

    /// Appends samples, each assigned its split from its row id; returns how many the store now holds.
    @discardableResult
    public func insert(_ samples: [LabelledSample]) async throws(AgentError) -> Int {
        try await write { db throws(SQLiteError) in
            var rowID = try db.prepare("SELECT COALESCE(MAX(id), 0) FROM sample").rows { $0.integer(0) }.first ?? 0
            let statement = try db.prepare(
                "INSERT INTO sample (id, features, feature_count, label, split) VALUES (?, ?, ?, ?, ?)")
            for sample in samples {
                rowID += 1
                try statement.run([
                    .integer(rowID), .blob(FeatureBlob.encode(sample.features)), .integer(Int64(sample.features.count)),
                    .text(sample.label), .text(SampleSplit.of(rowID: rowID).rawValue),
                ])
            }
            return try Self.count(db)
        }
    }

    /// The number of features of the sample stored last, nil when there is none.
    func lastFeatureCount() async throws(AgentError) -> Int? {
        try await read { db throws(SQLiteError) in
            try db.prepare("SELECT feature_count FROM sample ORDER BY id DESC LIMIT 1").rows { Int($0.integer(0)) }
                .first
        }
    }

    public func sampleCount() async throws(AgentError) -> Int {
        try await read { db throws(SQLiteError) in try Self.count(db) }
    }

    /// Every sample of one split, in insertion order.
    public func samples(in split: SampleSplit) async throws(AgentError) -> [LabelledSample] {
        try await read { db throws(SQLiteError) in
            try db.prepare("SELECT features, label FROM sample WHERE split = ? ORDER BY id")
                .rows([.text(split.rawValue)]) { row -> LabelledSample? in
                    guard let features = FeatureBlob.decode(row.blob(0)), let label = row.text(1) else { return nil }
                    return LabelledSample(features: features, label: label)
                }
                .compactMap { $0 }
        }
    }

    /// Adds to several counters in one transaction.
    public func add(_ amounts: [AgentCounter: Int]) async throws(AgentError) {
        let nonZero = amounts.filter { $0.value != 0 }
        guard !nonZero.isEmpty else { return }
        try await write { db throws(SQLiteError) in
            let statement = try db.prepare(
                """
                INSERT INTO counter (name, value) VALUES (?, ?)
                ON CONFLICT(name) DO UPDATE SET value = value + excluded.value
                """)
            for (counter, amount) in nonZero {
                try statement.run([.text(counter.rawValue), .integer(Int64(amount))])
            }
        }
    }

    /// Every counter, zero for those never incremented.
    public func counters() async throws(AgentError) -> [AgentCounter: Int] {
        try await read { db throws(SQLiteError) in
            var values = Dictionary(uniqueKeysWithValues: AgentCounter.allCases.map { ($0, 0) })
            let rows = try db.prepare("SELECT name, value FROM counter").rows { row in (row.text(0), row.integer(1)) }
            for (name, value) in rows {
                if let name, let counter = AgentCounter(rawValue: name) { values[counter] = Int(value) }
            }
            return values
        }
    }

    /// Every private training run recorded, oldest first.
    func privacyRuns() async throws(AgentError) -> [PrivacyRun] {
        try await read { db throws(SQLiteError) in
            try db.prepare(
                "SELECT round_id, iteration, sampling_rate, noise_multiplier, steps, recorded_at FROM privacy_run ORDER BY id"
            ).rows { row -> PrivacyRun? in
                guard let runId = row.text(0) else { return nil }
                return PrivacyRun(
                    runId: runId, round: Int(row.integer(1)), samplingRate: row.real(2),
                    noiseMultiplier: row.real(3), steps: Int(row.integer(4)),
                    recordedAt: Date(timeIntervalSince1970: row.real(5)))
            }
            .compactMap { $0 }
        }
    }

    /// Appends a private training run to the ledger (durably, before the run trains).
    func recordPrivacyRun(_ run: PrivacyRun) async throws(AgentError) {
        try await write { db throws(SQLiteError) in
            try db.prepare(
                """
                INSERT INTO privacy_run (round_id, iteration, sampling_rate, noise_multiplier, steps, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """
            ).run([
                .text(run.runId), .integer(Int64(run.round)), .real(run.samplingRate), .real(run.noiseMultiplier),
                .integer(Int64(run.steps)), .real(run.recordedAt.timeIntervalSince1970),
            ])
        }
    }

    private static func count(_ db: SQLiteConnection) throws(SQLiteError) -> Int {
        Int(try db.prepare("SELECT COUNT(*) FROM sample").rows { $0.integer(0) }.first ?? 0)
    }

    func read<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws(SQLiteError) -> T
    ) async throws(AgentError) -> T {
        try await access(body)
    }

    /// Runs `body` in one immediate transaction.
    func write<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws(SQLiteError) -> T
    ) async throws(AgentError) -> T {
        try await access { db throws(SQLiteError) in try db.transaction { () throws(SQLiteError) in try body(db) } }
    }

    /// Runs `body` in one immediate transaction whose commit is on disk when this returns: the store
    /// otherwise syncs only at checkpoints (`synchronous = NORMAL`), which survives a crash of the
    /// agent but may lose the last commits to a power cut.
    func durableWrite<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws(SQLiteError) -> T
    ) async throws(AgentError) -> T {
        try await access { db throws(SQLiteError) in
            try db.execute("PRAGMA synchronous = FULL")
            defer { try? db.execute("PRAGMA synchronous = NORMAL") }
            return try db.transaction { () throws(SQLiteError) in try body(db) }
        }
    }

    private func access<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws(SQLiteError) -> T
    ) async throws(AgentError) -> T {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<T, SQLiteError>, Never>) in
            queue.async {
                continuation.resume(
                    returning: self.connection.withLock { db in Result { () throws(SQLiteError) in try body(db) } })
            }
        }
        do {
            return try result.get()
        } catch {
            throw .store("\(error)")
        }
    }
}
