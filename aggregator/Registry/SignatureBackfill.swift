import Foundation
import GRDB
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Signs, at start-up and before either listener serves, every version registered before versions
/// were signed: reads its fp32 artifact for the manifest, records the manifest digest and the
/// signature, one version per transaction.
enum SignatureBackfill {
    /// How many versions were signed.
    static func run(pool: DatabasePool, signer: VersionSigner) throws -> Int {
        let pending = try pool.read { db in
            try ModelVersionRecord.filter(Column("signature") == "").fetchAll(db)
        }
        for record in pending {
            let bundle = try ModelBundle(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: record.path))))
            var updated = record
            updated.manifestSha256 = bundle.manifest.sha256
            updated.signature = try signer.sign(updated.statement)
            try pool.write { db in try updated.update(db) }
        }
        return pending.count
    }
}
