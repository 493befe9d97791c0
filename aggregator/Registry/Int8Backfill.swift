import Foundation
import StarlingCore
import StarlingStorage
import StarlingTransport

/// Gives every version registered before int8 artifacts existed its int8 artifact, at start-up,
/// before either listener serves: reads the fp32 bundle, quantizes it (``Int8Artifact``), writes
/// `<version>.int8.safetensors` atomically, and records its digest and keeps it in the database, one
/// version per transaction.
enum Int8Backfill {
    /// How many versions were backfilled.
    static func run(engine: any StorageEngine, directory: DataDirectory, now: Date) throws -> Int {
        let pending = try engine.readBlocking { db in
            try db.fetchAll(
                ModelVersionRecord.self, "SELECT * FROM modelVersions WHERE sha256Int8 = '' ORDER BY model, version")
        }
        for record in pending {
            let bundle = try ModelBundle(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: record.path))))
            let bytes = try Int8Artifact(quantizing: bundle).encoded(as: bundle.manifest)
            let url = directory.artifact(model: record.model, version: record.version, format: .int8)
            try AtomicFile.write(bytes, to: url)
            var updated = record
            updated.sha256Int8 = Secrets.sha256(bytes)
            updated.sizeBytesInt8 = bytes.count
            updated.pathInt8 = url.path
            try engine.writeBlocking { db in
                try db.update(updated)
                try ArtifactStore.keep(bytes, in: db, now: now)
            }
        }
        return pending.count
    }
}
