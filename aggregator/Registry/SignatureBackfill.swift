import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage
import StarlingTransport

/// Signs, at start-up and before either listener serves, every version registered before versions
/// were signed: reads its fp32 artifact for the manifest, records the manifest digest and the
/// signature, one version per transaction.
enum SignatureBackfill {
    /// How many versions were signed.
    static func run(engine: any StorageEngine, signer: VersionSigner) throws -> Int {
        let pending = try engine.readBlocking { db in
            try db.fetchAll(
                ModelVersionRecord.self, "SELECT * FROM modelVersions WHERE signature = '' ORDER BY model, version")
        }
        for record in pending {
            let bundle = try ModelBundle(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: record.path))))
            var updated = record
            updated.manifestSha256 = bundle.manifest.sha256
            updated.signature = try signer.sign(updated.statement)
            try engine.writeBlocking { db in try db.update(updated) }
        }
        return pending.count
    }
}
