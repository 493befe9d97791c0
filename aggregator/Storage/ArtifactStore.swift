import Foundation
import StarlingStorage
import StarlingTransport

/// Model artifacts by their SHA-256, in the database every replica shares, with a cache of files
/// in this aggregator's data folder. Every read checks the bytes against their digest: a cached
/// file that is missing, truncated or corrupt is fetched again from the database, and a database
/// copy that does not match is an error, never served.
struct ArtifactStore: Sendable {
    let engine: any StorageEngine
    /// `<data folder>/artifacts`, one file per digest.
    let cache: URL

    /// Keeps `bytes` inside a write transaction (the one that records what names them) and
    /// returns their digest; bytes already kept are not written twice.
    static func keep(_ bytes: [UInt8], in db: any SQLConnection, now: Date) throws -> String {
        let digest = Secrets.sha256(bytes)
        try db.execute(
            "INSERT INTO artifacts (sha256, sizeBytes, bytes, createdAt) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            digest, bytes.count, SQLValue.blob(bytes), now)
        return digest
    }

    /// Writes `bytes` to the cache, for a caller that has just kept them. A cache that cannot be
    /// written is no error: the next read fetches the bytes from the database again.
    func cacheLocally(_ bytes: [UInt8], digest: String) {
        try? AtomicFile.write(bytes, to: file(digest))
    }

    /// The bytes with `digest`, from the cache when it holds them intact, else from the database.
    /// On a cache miss this blocks the calling thread for one read of the database.
    func bytes(_ digest: String) throws(APIError) -> [UInt8] {
        guard Self.isDigest(digest) else { throw .internal("'\(digest)' is not an artifact digest") }
        if let data = FileManager.default.contents(atPath: file(digest).path), Secrets.sha256(data) == digest {
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
        guard let stored else { throw .internal("the artifact \(digest) is in no storage") }
        guard Secrets.sha256(stored) == digest else {
            throw .internal("the database's copy of artifact \(digest) does not match its digest")
        }
        cacheLocally(stored, digest: digest)
        return stored
    }

    private func file(_ digest: String) -> URL {
        cache.appendingPathComponent(digest)
    }

    /// Lower-case hex of 32 bytes: the only names the cache makes files of.
    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
