import Foundation
import StarlingStorage

/// The aggregator's schema on PostgreSQL: one baseline equal to what the SQLite history in
/// ``Migrations`` builds up to v16 (same tables, columns, keys, references and indexes; a test
/// holds the two to each other), then the same ``PortableMigration``s. Dates are UTC text, booleans 0/1 integers, as in
/// SQLite, so the stores read and write both engines with the same statements.
enum PostgreSQLSchema {
    /// The migration each database has applied, by id, in `schemaMigrations`.
    static let baselineID = "v16-baseline"

    /// Applies the baseline and every later migration not applied yet. It runs in one write
    /// transaction, which takes the engine's write lock: replicas starting together apply each once.
    static func migrate(_ db: any SQLConnection, now: Date = Date()) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS schemaMigrations (id TEXT PRIMARY KEY, appliedAt TEXT NOT NULL)")
        let steps = [(baselineID, baseline)] + PortableMigration.all.map { ($0.id, $0.statements(.postgresql)) }
        for (id, statements) in steps where try !db.exists("SELECT 1 FROM schemaMigrations WHERE id = ?", id) {
            for statement in statements { try db.execute(SQLStatement(statement)) }
            try db.execute("INSERT INTO schemaMigrations (id, appliedAt) VALUES (?, ?)", id, now)
        }
    }

    private static let baseline = [
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """
        CREATE TABLE adminTokens (tokenHash TEXT PRIMARY KEY, role TEXT NOT NULL, createdAt TEXT NOT NULL,
            id TEXT, expiresAt TEXT, lastUsedAt TEXT, revokedAt TEXT)
        """,
        "CREATE UNIQUE INDEX adminTokens_id ON adminTokens (id)",
        """
        CREATE TABLE enrollmentTokens (tokenHash TEXT PRIMARY KEY, expiresAt TEXT NOT NULL,
            usesLeft BIGINT NOT NULL, tags TEXT NOT NULL, createdAt TEXT NOT NULL, id TEXT, revokedAt TEXT)
        """,
        "CREATE UNIQUE INDEX enrollmentTokens_id ON enrollmentTokens (id)",
        """
        CREATE TABLE devices (id TEXT PRIMARY KEY, tags TEXT NOT NULL, certificatePEM TEXT NOT NULL,
            enrolledAt TEXT NOT NULL, lastSeen TEXT, sampleCount BIGINT NOT NULL, runningModel TEXT,
            revoked BIGINT NOT NULL, revokedAt TEXT, revocationReason TEXT)
        """,
        """
        CREATE TABLE models (name TEXT PRIMARY KEY, architecture TEXT NOT NULL, labels TEXT NOT NULL,
            confidenceThreshold DOUBLE PRECISION NOT NULL, createdAt TEXT NOT NULL)
        """,
        """
        CREATE TABLE modelVersions (model TEXT NOT NULL REFERENCES models, version BIGINT NOT NULL,
            sha256 TEXT NOT NULL, sizeBytes BIGINT NOT NULL, path TEXT NOT NULL, source TEXT NOT NULL,
            lineage TEXT NOT NULL, metrics TEXT NOT NULL, createdAt TEXT NOT NULL,
            sha256Int8 TEXT NOT NULL DEFAULT '', sizeBytesInt8 BIGINT NOT NULL DEFAULT 0,
            pathInt8 TEXT NOT NULL DEFAULT '', manifestSha256 TEXT NOT NULL DEFAULT '',
            signature TEXT NOT NULL DEFAULT '', PRIMARY KEY (model, version))
        """,
        """
        CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'train', model TEXT NOT NULL,
            state TEXT NOT NULL, plan TEXT NOT NULL, failureReason TEXT, createdAt TEXT NOT NULL, machine TEXT,
            machineRevision BIGINT NOT NULL DEFAULT 0)
        """,
        """
        CREATE TABLE rounds (runId TEXT NOT NULL REFERENCES runs, round BIGINT NOT NULL, state TEXT NOT NULL,
            baseVersion BIGINT NOT NULL, cohort TEXT NOT NULL, deadline TEXT, producedVersion BIGINT,
            metrics TEXT, failureReason TEXT, startedAt TEXT NOT NULL, endedAt TEXT, contributors BIGINT,
            attempt BIGINT NOT NULL DEFAULT 1, PRIMARY KEY (runId, round))
        """,
        """
        CREATE TABLE roundUpdates (runId TEXT NOT NULL, round BIGINT NOT NULL,
            deviceId TEXT NOT NULL REFERENCES devices, trainSamples BIGINT NOT NULL,
            trainLoss DOUBLE PRECISION, evalSamples BIGINT, evalAccuracy DOUBLE PRECISION, path TEXT NOT NULL,
            receivedAt TEXT NOT NULL, staleness BIGINT, PRIMARY KEY (runId, round, deviceId),
            FOREIGN KEY (runId, round) REFERENCES rounds)
        """,
        """
        CREATE TABLE deployments (id TEXT PRIMARY KEY, model TEXT NOT NULL, version BIGINT NOT NULL,
            selector TEXT NOT NULL, createdAt TEXT NOT NULL, alias TEXT, machine TEXT,
            state TEXT NOT NULL DEFAULT 'completed', reason TEXT,
            FOREIGN KEY (model, version) REFERENCES modelVersions)
        """,
        """
        CREATE TABLE deploymentReports (deploymentId TEXT NOT NULL REFERENCES deployments,
            deviceId TEXT NOT NULL REFERENCES devices, state TEXT NOT NULL, message TEXT,
            reportedAt TEXT NOT NULL, health TEXT, PRIMARY KEY (deploymentId, deviceId))
        """,
        """
        CREATE TABLE modelAliases (model TEXT NOT NULL REFERENCES models, alias TEXT NOT NULL,
            version BIGINT NOT NULL, updatedAt TEXT NOT NULL, PRIMARY KEY (model, alias),
            FOREIGN KEY (model, version) REFERENCES modelVersions)
        """,
        """
        CREATE TABLE deploymentEvents (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            deploymentId TEXT NOT NULL REFERENCES deployments, at TEXT NOT NULL, message TEXT NOT NULL)
        """,
        """
        CREATE TABLE roundFailures (runId TEXT NOT NULL, round BIGINT NOT NULL, deviceId TEXT NOT NULL,
            reason TEXT NOT NULL, detail TEXT NOT NULL, reportedAt TEXT NOT NULL,
            PRIMARY KEY (runId, round, deviceId), FOREIGN KEY (runId, round) REFERENCES rounds)
        """,
        """
        CREATE TABLE versionEvaluations (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            model TEXT NOT NULL, version BIGINT NOT NULL, runId TEXT NOT NULL, devices BIGINT NOT NULL,
            figures TEXT NOT NULL, secureAggregation BIGINT NOT NULL, createdAt TEXT NOT NULL,
            FOREIGN KEY (model, version) REFERENCES modelVersions)
        """,
        """
        CREATE TABLE featureProfiles (name TEXT NOT NULL, version BIGINT NOT NULL, width BIGINT NOT NULL,
            devices BIGINT NOT NULL, samples BIGINT NOT NULL, runId TEXT NOT NULL,
            secureAggregation BIGINT NOT NULL, profile TEXT NOT NULL, createdAt TEXT NOT NULL,
            PRIMARY KEY (name, version))
        """,
        """
        CREATE TABLE runOptimizerStates (runId TEXT PRIMARY KEY REFERENCES runs, step BIGINT NOT NULL,
            state BYTEA NOT NULL, updatedAt TEXT NOT NULL)
        """,
        """
        CREATE TABLE auditEvents (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at TEXT NOT NULL,
            tokenId TEXT NOT NULL, role TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL,
            targets TEXT NOT NULL, status BIGINT NOT NULL, code TEXT)
        """,
        "CREATE INDEX auditEvents_on_at ON auditEvents (at)",
        """
        CREATE FUNCTION starling_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
                MESSAGE = 'the audit log is append-only: its rows cannot be '
                    || CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END;
        END
        $$
        """,
        """
        CREATE TRIGGER auditEvents_appendOnly BEFORE UPDATE OR DELETE ON auditEvents
            FOR EACH ROW EXECUTE FUNCTION starling_audit_append_only()
        """,
        """
        CREATE TABLE monitorRules (model TEXT NOT NULL, name TEXT NOT NULL, rule TEXT NOT NULL,
            updatedAt TEXT NOT NULL, PRIMARY KEY (model, name))
        """,
        """
        CREATE TABLE monitorAlerts (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            model TEXT NOT NULL, version BIGINT NOT NULL, rule TEXT NOT NULL, condition TEXT NOT NULL,
            threshold DOUBLE PRECISION NOT NULL, value DOUBLE PRECISION NOT NULL, action TEXT NOT NULL,
            outcome TEXT NOT NULL, firedAt TEXT NOT NULL, resolvedAt TEXT, retrain TEXT)
        """,
        """
        CREATE TABLE experiments (id TEXT PRIMARY KEY, model TEXT NOT NULL, mode TEXT NOT NULL,
            selector TEXT NOT NULL, candidates TEXT NOT NULL, split DOUBLE PRECISION, minFeedback BIGINT NOT NULL,
            state TEXT NOT NULL, reason TEXT, promotedTo TEXT, createdAt TEXT NOT NULL, endedAt TEXT)
        """,
        """
        CREATE TABLE monitorWindows (deviceId TEXT NOT NULL, model TEXT NOT NULL, version BIGINT NOT NULL,
            arm TEXT NOT NULL DEFAULT '', start DOUBLE PRECISION NOT NULL, "window" TEXT NOT NULL,
            receivedAt TEXT NOT NULL, devices BIGINT NOT NULL DEFAULT 1,
            PRIMARY KEY (deviceId, model, version, arm, start))
        """,
        "CREATE INDEX monitorWindowsByModel ON monitorWindows (model, version, start)",
        "CREATE INDEX monitorWindowsByArm ON monitorWindows (arm)",
    ]
}
