import Foundation
import GRDB
import StarlingTransport

/// The first admin token: made once, kept in `DIR/admin.token` (mode 0600) for local tools, and
/// registered by its hash in the database on every start.
enum AdminTokenBootstrap {
    /// Ensures the token exists and is registered; returns its text only if this call created it.
    static func ensure(in directory: DataDirectory, storage: Storage, now: Date) throws -> String? {
        var created: String?
        let token: String
        if let data = FileManager.default.contents(atPath: directory.adminToken.path) {
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            token = Secrets.token(prefix: "stk_")
            try AtomicFile.write(token + "\n", to: directory.adminToken, permissions: 0o600)
            created = token
        }
        let record = AdminTokenRecord(
            tokenHash: Secrets.hash(secret: token), role: TokenRole.admin.rawValue, createdAt: now)
        try storage.pool.write { db in try record.insert(db, onConflict: .ignore) }
        return created
    }
}
