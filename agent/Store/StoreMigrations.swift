/// The schema of the agent's SQLite store, one migration per change; never edit a shipped migration.
enum StoreMigrations {
    /// Every migration, oldest first, by the identifier recorded once it is applied.
    static let all: [(identifier: String, sql: String)] = [
        (
            "v1",
            """
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
            """
        ),
        ("v2-int8", "ALTER TABLE installed_model ADD COLUMN sha256_int8 TEXT"),
        (
            "v3-privacy-ledger",
            """
            CREATE TABLE privacy_run (
                id INTEGER PRIMARY KEY,
                round_id TEXT NOT NULL,
                iteration INTEGER NOT NULL,
                sampling_rate REAL NOT NULL,
                noise_multiplier REAL NOT NULL,
                steps INTEGER NOT NULL,
                recorded_at REAL NOT NULL
            )
            """
        ),
        (
            // Two model slots. The one installed model of earlier agents becomes the active slot; its
            // files (models/current.*) are renamed to their content-addressed names at start-up. A
            // model recorded without its int8 artifact could never run and is dropped.
            "v4-model-slots",
            """
            CREATE TABLE model_slot (
                role TEXT PRIMARY KEY CHECK (role IN ('active', 'previous')),
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                sha256_int8 TEXT NOT NULL,
                deployment_id TEXT
            );
            INSERT INTO model_slot (role, name, version, sha256, sha256_int8, deployment_id)
                SELECT 'active', name, version, sha256, sha256_int8, deployment_id FROM installed_model
                WHERE sha256_int8 IS NOT NULL;
            DROP TABLE installed_model;
            """
        ),
        (
            // Keyed predictions waiting for their feedback, and the monitor windows closed so far.
            "v5-monitoring",
            """
            CREATE TABLE prediction (
                key TEXT PRIMARY KEY,
                version TEXT NOT NULL,
                label TEXT NOT NULL,
                confidence REAL NOT NULL,
                escalated INTEGER NOT NULL,
                created_at REAL NOT NULL,
                feedback TEXT,
                feedback_at REAL
            );
            CREATE INDEX prediction_created ON prediction(created_at);
            CREATE TABLE monitor_window (
                id INTEGER PRIMARY KEY,
                version TEXT NOT NULL,
                start REAL NOT NULL,
                body BLOB NOT NULL
            );
            CREATE INDEX monitor_window_start ON monitor_window(start);
            """
        ),
        // Which closed windows the aggregator has.
        ("v6-monitor-sent", "ALTER TABLE monitor_window ADD COLUMN sent INTEGER NOT NULL DEFAULT 0"),
        (
            // The experiment a keyed prediction was an arm of, and what a shadow answered for it.
            "v7-experiments",
            """
            ALTER TABLE prediction ADD COLUMN experiment TEXT;
            ALTER TABLE prediction ADD COLUMN shadow_version TEXT;
            ALTER TABLE prediction ADD COLUMN shadow_label TEXT;
            """
        ),
    ]

    /// Applies, each in its own transaction, the migrations the store has not recorded yet. Applied
    /// identifiers live in `grdb_migrations`, the table every existing agent store already has.
    static func migrate(_ connection: SQLiteConnection) throws(SQLiteError) {
        try connection.execute("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = Set(try connection.prepare("SELECT identifier FROM grdb_migrations").rows { $0.text(0) })
        let record = try connection.prepare("INSERT INTO grdb_migrations (identifier) VALUES (?)")
        for migration in all where !applied.contains(migration.identifier) {
            try connection.transaction { () throws(SQLiteError) in
                try connection.execute(migration.sql)
                try record.run([.text(migration.identifier)])
            }
        }
    }
}
