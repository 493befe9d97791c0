import GRDB

/// The schema of the agent's SQLite store, one migration per change; never edit a shipped migration.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sample (
                        id INTEGER PRIMARY KEY,
                        features BLOB NOT NULL,
                        feature_count INTEGER NOT NULL,
                        label TEXT NOT NULL,
                        split TEXT NOT NULL CHECK (split IN ('train', 'eval'))
                    );
                    CREATE INDEX sample_split ON sample(split);
                    CREATE TABLE installed_model (
                        slot INTEGER PRIMARY KEY CHECK (slot = 1),
                        name TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        sha256 TEXT NOT NULL,
                        deployment_id TEXT
                    );
                    CREATE TABLE counter (
                        name TEXT PRIMARY KEY,
                        value INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2-int8") { db in
            try db.execute(sql: "ALTER TABLE installed_model ADD COLUMN sha256_int8 TEXT")
        }
        migrator.registerMigration("v3-privacy-ledger") { db in
            try db.execute(
                sql: """
                    CREATE TABLE privacy_run (
                        id INTEGER PRIMARY KEY,
                        round_id TEXT NOT NULL,
                        iteration INTEGER NOT NULL,
                        sampling_rate REAL NOT NULL,
                        noise_multiplier REAL NOT NULL,
                        steps INTEGER NOT NULL,
                        recorded_at REAL NOT NULL
                    )
                    """)
        }
        return migrator
    }
}
