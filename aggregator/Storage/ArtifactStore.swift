import Foundation
import StarlingProtocol
import StarlingStorage
import StarlingTransport

/// Model artifacts by their SHA-256 in the database every replica shares, with this aggregator's
/// copy of each in its data folder (`models/<name>/<version>[.int8].safetensors`) as the cache.
/// Every read checks the bytes against the version's digest: a copy that is missing, truncated or
/// corrupt is fetched again from the database and rewritten, and a database copy that does not
/// match is an error, never served.
struct ArtifactStore: Sendable {
    let engine: any StorageEngine
    let directory: DataDirectory

    /// Keeps `bytes` inside a write transaction (the one that records what names them) and
    /// returns their digest; bytes already kept are not written twice.
    @discardableResult
    static func keep(_ bytes: [UInt8], in db: any SQLConnection, now: Date) throws -> String {
        let digest = Secrets.sha256(bytes)
        try db.execute(
            """
            INSERT INTO artifacts (sha256, sizeBytes, bytes, createdAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (sha256) DO NOTHING
            """,
            digest, bytes.count, SQLValue.blob(bytes), now)
        return digest
    }

    /// The artifact of `record` in `format`, from this aggregator's copy when it is intact, else
    /// from the database. On a miss this blocks the calling thread for one read of the database.
    func bytes(of record: ModelVersionRecord, format: ArtifactFormat) throws(APIError) -> [UInt8] {
        let digest = record.artifact(format).sha256
        let file = directory.artifact(model: record.model, version: record.version, format: format)
        if let data = FileManager.default.contents(atPath: file.path), Secrets.sha256(data) == digest {
            return Array(data)
        }
        let stored: [UInt8]?
        do {
            stored = try engine.readBlocking { db in
                try db.row(SQLStatement("SELECT bytes FROM artifacts WHERE sha256 = ?", [.text(digest)]))
                    .map { row throws(StorageError) in try row.blob("bytes") }
            }
        } catch {
            throw storageAPIError(error)
        }
        let name = "the \(format.rawValue) artifact of \(record.model)@\(record.version)"
        guard let stored else { throw .internal("\(name) is neither on disk nor in the database") }
        guard Secrets.sha256(stored) == digest else {
            throw .internal("the database's copy of \(name) does not match its digest")
        }
        // A copy that cannot be written is no error: the next read fetches it again.
        try? AtomicFile.write(stored, to: file)
        return stored
    }
}
