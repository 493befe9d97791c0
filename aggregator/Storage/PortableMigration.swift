import StarlingStorage

/// A schema change after the PostgreSQL baseline, written once for both engines: SQLite applies it
/// through its GRDB history, PostgreSQL after the baseline, each exactly once.
struct PortableMigration: Sendable {
    let id: String
    let statements: @Sendable (SQLDialect) -> [String]

    /// Every change since the baseline, oldest first; never edit one that has shipped.
    static let all: [PortableMigration] = [
        artifacts, leadership, roundUpdateBytes, roundPartialSums, deviceSeenBy, secureSessions, replicaEndpoints,
        dashboardSessions, roundCohortSize,
    ]

    /// Model artifacts by digest, so every replica reads the versions any of them registered.
    static let artifacts = PortableMigration(id: "v17-artifacts") { dialect in
        [
            """
            CREATE TABLE artifacts (sha256 TEXT PRIMARY KEY, sizeBytes \(dialect.integer) NOT NULL,
                bytes \(dialect.blob) NOT NULL, createdAt TEXT NOT NULL)
            """
        ]
    }

    /// The coordinating replica's fencing epoch: one row, raised by each replica that becomes leader.
    static let leadership = PortableMigration(id: "v18-leadership") { dialect in
        [
            """
            CREATE TABLE leadership (id \(dialect.integer) PRIMARY KEY, epoch \(dialect.integer) NOT NULL,
                holder TEXT NOT NULL, since TEXT)
            """,
            "INSERT INTO leadership (id, epoch, holder) VALUES (1, 0, '')",
        ]
    }

    /// The bytes of contributions on a database several replicas share, so the replica that takes a
    /// run over reads what another received; kept while the run is active.
    static let roundUpdateBytes = PortableMigration(id: "v19-round-update-bytes") { dialect in
        [
            """
            CREATE TABLE roundUpdateBytes (runId TEXT NOT NULL, round \(dialect.integer) NOT NULL,
                deviceId TEXT NOT NULL, bytes \(dialect.blob) NOT NULL, PRIMARY KEY (runId, round, deviceId))
            """
        ]
    }

    /// Each replica's sum of the plain training updates it accepted in a round (``PartialSum``),
    /// kept while the run is active.
    static let roundPartialSums = PortableMigration(id: "v20-round-partial-sums") { dialect in
        [
            """
            CREATE TABLE roundPartialSums (runId TEXT NOT NULL, round \(dialect.integer) NOT NULL,
                replica TEXT NOT NULL, devices TEXT NOT NULL, weight \(dialect.integer) NOT NULL,
                scaledWeight \(dialect.integer) NOT NULL, sum \(dialect.blob) NOT NULL,
                PRIMARY KEY (runId, round, replica))
            """
        ]
    }

    /// Which replica stored a device's last heartbeat, so the leader counts devices watching on the
    /// others as online.
    static let deviceSeenBy = PortableMigration(id: "v21-device-seen-by") { _ in
        ["ALTER TABLE devices ADD COLUMN seenBy TEXT"]
    }

    /// Secure sessions as replicas that do not lead serve them: the view the leader publishes
    /// (``SecureSessionView``) with the stage it takes messages for, the stage messages those
    /// replicas took, and each replica's sum of the masked inputs it took; kept while the run is
    /// active.
    static let secureSessions = PortableMigration(id: "v22-secure-sessions") { dialect in
        [
            """
            CREATE TABLE secureSessions (runId TEXT NOT NULL, round \(dialect.integer) NOT NULL,
                session \(dialect.integer) NOT NULL, attempt \(dialect.integer) NOT NULL, stage TEXT NOT NULL,
                revision \(dialect.integer) NOT NULL, view \(dialect.blob) NOT NULL,
                PRIMARY KEY (runId, round, session))
            """,
            """
            CREATE TABLE secureMessages (runId TEXT NOT NULL, round \(dialect.integer) NOT NULL,
                session \(dialect.integer) NOT NULL, attempt \(dialect.integer) NOT NULL, deviceId TEXT NOT NULL,
                stage TEXT NOT NULL, excluded TEXT NOT NULL, body \(dialect.blob) NOT NULL,
                PRIMARY KEY (runId, round, session, attempt, deviceId, stage))
            """,
            """
            CREATE TABLE secureMaskedSums (runId TEXT NOT NULL, round \(dialect.integer) NOT NULL,
                session \(dialect.integer) NOT NULL, attempt \(dialect.integer) NOT NULL,
                groupIndex \(dialect.integer) NOT NULL, replica TEXT NOT NULL, clients TEXT NOT NULL,
                words \(dialect.blob) NOT NULL, PRIMARY KEY (runId, round, session, attempt, groupIndex, replica))
            """,
        ]
    }

    /// Each replica's public listener, so another can send on what only the leader carries out.
    static let replicaEndpoints = PortableMigration(id: "v23-replica-endpoints") { _ in
        ["CREATE TABLE replicaEndpoints (replica TEXT PRIMARY KEY, publicUrl TEXT NOT NULL)"]
    }

    /// Dashboard sign-in sessions, so that every replica knows them and they outlive a restart.
    static let dashboardSessions = PortableMigration(id: "v24-dashboard-sessions") { _ in
        [
            """
            CREATE TABLE dashboardSessions (idHash TEXT PRIMARY KEY, tokenId TEXT NOT NULL,
                csrfToken TEXT NOT NULL, createdAt TEXT NOT NULL, lastUsedAt TEXT NOT NULL)
            """
        ]
    }

    /// Each round's cohort counted in a column of its own, so that reading a run (the admin API, the
    /// dashboard's pages) does not read every round's device ids: at fleet scale a round's cohort is
    /// hundreds of kilobytes of text.
    static let roundCohortSize = PortableMigration(id: "v25-round-cohort-size") { dialect in
        [
            "ALTER TABLE rounds ADD COLUMN cohortSize \(dialect.integer) NOT NULL DEFAULT 0",
            dialect == .sqlite
                ? "UPDATE rounds SET cohortSize = json_array_length(cohort)"
                : "UPDATE rounds SET cohortSize = json_array_length(cohort::json)",
        ]
    }
}

extension SQLDialect {
    /// The column type of 64-bit integers.
    var integer: String { self == .sqlite ? "INTEGER" : "BIGINT" }
    /// The column type of bytes.
    var blob: String { self == .sqlite ? "BLOB" : "BYTEA" }
}
