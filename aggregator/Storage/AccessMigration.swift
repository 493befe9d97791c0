import GRDB

/// The schema of roles, revocation and the audit log (migration `v8-access`).
///
/// Admin and enrollment tokens get an id (tokens made before keep working and get one here), an
/// expiry, a last use and a revocation time; devices get their revocation time and reason; and the
/// append-only `auditEvents` table arrives with triggers that abort any `UPDATE` or `DELETE` of its
/// rows, so no code path, present or future, can rewrite what was recorded.
enum AccessMigration {
    static func apply(_ db: Database) throws {
        try db.alter(table: "adminTokens") { t in
            t.add(column: "id", .text)
            t.add(column: "expiresAt", .datetime)
            t.add(column: "lastUsedAt", .datetime)
            t.add(column: "revokedAt", .datetime)
        }
        try db.execute(sql: "UPDATE adminTokens SET id = 'adm-' || lower(hex(randomblob(6)))")
        try db.create(index: "adminTokens_id", on: "adminTokens", columns: ["id"], unique: true)

        try db.alter(table: "enrollmentTokens") { t in
            t.add(column: "id", .text)
            t.add(column: "revokedAt", .datetime)
        }
        try db.execute(sql: "UPDATE enrollmentTokens SET id = 'enr-' || lower(hex(randomblob(6)))")
        try db.create(index: "enrollmentTokens_id", on: "enrollmentTokens", columns: ["id"], unique: true)

        try db.alter(table: "devices") { t in
            t.add(column: "revokedAt", .datetime)
            t.add(column: "revocationReason", .text)
        }

        try db.create(table: "auditEvents") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("at", .datetime).notNull().indexed()
            t.column("tokenId", .text).notNull()
            t.column("role", .text).notNull()
            t.column("method", .text).notNull()
            t.column("route", .text).notNull()
            t.column("targets", .text).notNull()
            t.column("status", .integer).notNull()
            t.column("code", .text)
        }
        try db.execute(
            sql: """
                CREATE TRIGGER auditEvents_noUpdate BEFORE UPDATE ON auditEvents
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its rows cannot be changed'); END;
                CREATE TRIGGER auditEvents_noDelete BEFORE DELETE ON auditEvents
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its rows cannot be deleted'); END;
                """)
    }
}
