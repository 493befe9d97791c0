import Foundation
import StarlingProtocol
import StarlingStorage
import StarlingTransport

/// Keeps in the database, at start-up and before either listener serves, the artifacts of versions
/// registered before artifacts were kept there: reads this aggregator's copy of each, checks it
/// against the version's digest, and keeps it, one version per transaction. A copy that is missing
/// or does not match its digest is left out and counted; reading that artifact fails as before.
enum ArtifactBackfill {
    struct Outcome: Equatable, Sendable {
        var kept = 0
        var unreadable = 0
    }

    static func run(engine: any StorageEngine, directory: DataDirectory, now: Date) throws -> Outcome {
        let pending = try engine.readBlocking { db in
            try db.fetchAll(
                ModelVersionRecord.self,
                """
                SELECT * FROM modelVersions v
                WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.sha256 = v.sha256)
                    OR NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.sha256 = v.sha256Int8)
                ORDER BY model, version
                """)
        }
        var outcome = Outcome()
        for record in pending {
            for format in ArtifactFormat.allCases {
                let file = directory.artifact(model: record.model, version: record.version, format: format)
                guard let data = FileManager.default.contents(atPath: file.path),
                    Secrets.sha256(data) == record.artifact(format).sha256
                else {
                    outcome.unreadable += 1
                    continue
                }
                try engine.writeBlocking { db in try ArtifactStore.keep(Array(data), in: db, now: now) }
                outcome.kept += 1
            }
        }
        return outcome
    }
}
