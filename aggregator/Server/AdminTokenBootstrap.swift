import Foundation
import StarlingProtocol
import StarlingTransport

/// The first admin token: role admin, no expiry, kept in `DIR/admin.token` (mode 0600) for tools on
/// the same machine. It is made (or, when a database is new beside an existing file, taken from the
/// file) only while the database holds no admin token at all. Later runs never make or register
/// one, so deleting `admin.token` removes only the local copy and revoking the token ends it: neither
/// opens a way in on the next start.
enum AdminTokenBootstrap {
    /// Ensures the database has an admin token; returns its text only if this call created it.
    static func ensure(in directory: DataDirectory, storage: Storage, now: Date) throws -> String? {
        guard try storage.engine.readBlocking({ db in try db.integer("SELECT COUNT(*) FROM adminTokens") }) == 0 else {
            return nil
        }
        var created: String?
        let token: String
        if let data = FileManager.default.contents(atPath: directory.adminToken.path),
            case let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        {
            token = text
        } else {
            token = Secrets.token(prefix: "stk_")
            try AtomicFile.write(token + "\n", to: directory.adminToken, permissions: 0o600)
            created = token
        }
        let record = AdminTokenRecord(
            id: AdminTokens.newID(), tokenHash: Secrets.hash(secret: token), role: .admin, createdAt: now,
            expiresAt: nil, lastUsedAt: nil, revokedAt: nil)
        try storage.engine.writeBlocking { db in try db.insert(record) }
        return created
    }
}
