import Foundation
import GRDB

/// The agent's durable state in one SQLite file (WAL): labelled samples with their split, the
/// installed model record and the counters. Safe to share between the daemon and `ingest`.
public final class AgentStore: Sendable {
    private let pool: DatabasePool

    /// Opens (creating when needed) the store at `path` and brings its schema up to date.
    public init(path: URL) throws(AgentError) {
        do {
            try FileManager.default.createDirectory(
                at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            pool = try DatabasePool(path: path.path, configuration: configuration)
            try StoreMigrations.migrator.migrate(pool)
        } catch {
            throw .store("cannot open \(path.path): \(error)")
        }
    }

    /// Appends samples, each assigned its split from its row id; returns how many the store now holds.
    @discardableResult
    public func insert(_ samples: [LabelledSample]) async throws(AgentError) -> Int {
        try await write { db in
            var rowID = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM sample") ?? 0
            let statement = try db.makeStatement(
                sql: "INSERT INTO sample (id, features, feature_count, label, split) VALUES (?, ?, ?, ?, ?)")
            for sample in samples {
                rowID += 1
                try statement.execute(arguments: [
                    rowID, FeatureBlob.encode(sample.features), sample.features.count, sample.label,
                    SampleSplit.of(rowID: rowID).rawValue,
                ])
            }
            return try Self.count(db)
        }
    }

    public func sampleCount() async throws(AgentError) -> Int {
        try await read { db in try Self.count(db) }
    }

    /// Every sample of one split, in insertion order.
    public func samples(in split: SampleSplit) async throws(AgentError) -> [LabelledSample] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT features, label FROM sample WHERE split = ? ORDER BY id", arguments: [split.rawValue]
            ).compactMap { row in
                FeatureBlob.decode(row["features"]).map { LabelledSample(features: $0, label: row["label"]) }
            }
        }
    }

    func installedModel() async throws(AgentError) -> InstalledModelRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT name, version, sha256, sha256_int8, deployment_id FROM installed_model").map {
                InstalledModelRecord(
                    name: $0["name"], version: $0["version"], sha256: $0["sha256"], sha256Int8: $0["sha256_int8"],
                    deploymentId: $0["deployment_id"])
            }
        }
    }

    func recordInstalledModel(_ record: InstalledModelRecord) async throws(AgentError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO installed_model (slot, name, version, sha256, sha256_int8, deployment_id)
                    VALUES (1, ?, ?, ?, ?, ?)
                    """,
                arguments: [record.name, record.version, record.sha256, record.sha256Int8, record.deploymentId])
        }
    }

    /// Adds to several counters in one transaction.
    public func add(_ amounts: [AgentCounter: Int]) async throws(AgentError) {
        let nonZero = amounts.filter { $0.value != 0 }
        guard !nonZero.isEmpty else { return }
        try await write { db in
            for (counter, amount) in nonZero {
                try db.execute(
                    sql: """
                        INSERT INTO counter (name, value) VALUES (?, ?)
                        ON CONFLICT(name) DO UPDATE SET value = value + excluded.value
                        """,
                    arguments: [counter.rawValue, amount])
            }
        }
    }

    /// Every counter, zero for those never incremented.
    public func counters() async throws(AgentError) -> [AgentCounter: Int] {
        try await read { db in
            var values = Dictionary(uniqueKeysWithValues: AgentCounter.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counter") {
                if let counter = AgentCounter(rawValue: row["name"]) { values[counter] = row["value"] }
            }
            return values
        }
    }

    /// Every private training run recorded, oldest first.
    func privacyRuns() async throws(AgentError) -> [PrivacyRun] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT round_id, iteration, sampling_rate, noise_multiplier, steps, recorded_at FROM privacy_run ORDER BY id"
            ).map { row in
                PrivacyRun(
                    roundId: row["round_id"], iteration: row["iteration"], samplingRate: row["sampling_rate"],
                    noiseMultiplier: row["noise_multiplier"], steps: row["steps"],
                    recordedAt: Date(timeIntervalSince1970: row["recorded_at"]))
            }
        }
    }

    /// Appends a private training run to the ledger (durably, before the run trains).
    func recordPrivacyRun(_ run: PrivacyRun) async throws(AgentError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO privacy_run (round_id, iteration, sampling_rate, noise_multiplier, steps, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.roundId, run.iteration, run.samplingRate, run.noiseMultiplier, run.steps,
                    run.recordedAt.timeIntervalSince1970,
                ])
        }
    }

    private static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sample") ?? 0
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(AgentError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw .store("\(error)")
        }
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(AgentError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw .store("\(error)")
        }
    }
}
