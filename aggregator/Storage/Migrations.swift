import GRDB

/// The schema, one migration per change; never edit a shipped migration, add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "settings") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "adminTokens") { t in
                t.primaryKey("tokenHash", .text)
                t.column("role", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "enrollmentTokens") { t in
                t.primaryKey("tokenHash", .text)
                t.column("expiresAt", .datetime).notNull()
                t.column("usesLeft", .integer).notNull()
                t.column("tags", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "devices") { t in
                t.primaryKey("id", .text)
                t.column("tags", .text).notNull()
                t.column("certificatePEM", .text).notNull()
                t.column("enrolledAt", .datetime).notNull()
                t.column("lastSeen", .datetime)
                t.column("sampleCount", .integer).notNull()
                t.column("runningModel", .text)
                t.column("revoked", .boolean).notNull()
            }
            try db.create(table: "models") { t in
                t.primaryKey("name", .text)
                t.column("architecture", .text).notNull()
                t.column("labels", .text).notNull()
                t.column("confidenceThreshold", .double).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "modelVersions") { t in
                t.column("model", .text).notNull().references("models")
                t.column("version", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("sizeBytes", .integer).notNull()
                t.column("path", .text).notNull()
                t.column("source", .text).notNull()
                t.column("lineage", .text).notNull()
                t.column("metrics", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["model", "version"])
            }
            try db.create(table: "rounds") { t in
                t.primaryKey("id", .text)
                t.column("model", .text).notNull().references("models")
                t.column("state", .text).notNull()
                t.column("plan", .text).notNull()
                t.column("failureReason", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "roundIterations") { t in
                t.column("roundId", .text).notNull().references("rounds")
                t.column("iteration", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("baseVersion", .integer).notNull()
                t.column("cohort", .text).notNull()
                t.column("deadline", .datetime)
                t.column("producedVersion", .integer)
                t.column("metrics", .text)
                t.column("failureReason", .text)
                t.column("startedAt", .datetime).notNull()
                t.column("endedAt", .datetime)
                t.primaryKey(["roundId", "iteration"])
            }
            try db.create(table: "roundUpdates") { t in
                t.column("roundId", .text).notNull()
                t.column("iteration", .integer).notNull()
                t.column("deviceId", .text).notNull().references("devices")
                t.column("trainSamples", .integer).notNull()
                t.column("trainLoss", .double)
                t.column("evalSamples", .integer)
                t.column("evalAccuracy", .double)
                t.column("path", .text).notNull()
                t.column("receivedAt", .datetime).notNull()
                t.primaryKey(["roundId", "iteration", "deviceId"])
                t.foreignKey(["roundId", "iteration"], references: "roundIterations")
            }
            try db.create(table: "deployments") { t in
                t.primaryKey("id", .text)
                t.column("model", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("selector", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.foreignKey(["model", "version"], references: "modelVersions")
            }
            try db.create(table: "deploymentReports") { t in
                t.column("deploymentId", .text).notNull().references("deployments")
                t.column("deviceId", .text).notNull().references("devices")
                t.column("state", .text).notNull()
                t.column("message", .text)
                t.column("reportedAt", .datetime).notNull()
                t.primaryKey(["deploymentId", "deviceId"])
            }
        }
        migrator.registerMigration("v2-int8-artifacts") { db in
            // Rows of earlier versions get their int8 artifact from Int8Backfill at start-up.
            try db.alter(table: "modelVersions") { t in
                t.add(column: "sha256Int8", .text).notNull().defaults(to: "")
                t.add(column: "sizeBytesInt8", .integer).notNull().defaults(to: 0)
                t.add(column: "pathInt8", .text).notNull().defaults(to: "")
            }
        }
        migrator.registerMigration("v3-secure-aggregation") { db in
            // Secure iterations store no per-device updates; they record how many devices were summed.
            try db.alter(table: "roundIterations") { t in
                t.add(column: "contributors", .integer)
            }
        }
        migrator.registerMigration("v4-signed-versions") { db in
            // Rows of earlier versions are signed by SignatureBackfill at start-up.
            try db.alter(table: "modelVersions") { t in
                t.add(column: "manifestSha256", .text).notNull().defaults(to: "")
                t.add(column: "signature", .text).notNull().defaults(to: "")
            }
        }
        migrator.registerMigration("v5-aliases") { db in
            try db.create(table: "modelAliases") { t in
                t.column("model", .text).notNull().references("models")
                t.column("alias", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["model", "alias"])
                t.foreignKey(["model", "version"], references: "modelVersions")
            }
        }
        migrator.registerMigration("v6-rollouts") { db in
            // Earlier all-at-once deployments load as completed `all` rollouts (see Rollouts.load).
            try db.alter(table: "deployments") { t in
                t.add(column: "alias", .text)
                t.add(column: "machine", .text)
                t.add(column: "state", .text).notNull().defaults(to: "completed")
                t.add(column: "reason", .text)
            }
            try db.alter(table: "deploymentReports") { t in
                t.add(column: "health", .text)
            }
            try db.create(table: "deploymentEvents") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deploymentId", .text).notNull().references("deployments")
                t.column("at", .datetime).notNull()
                t.column("message", .text).notNull()
            }
        }
        migrator.registerMigration("v7-run-kinds") { db in
            // Runs of every kind share the round machinery. A statistics run over a bare feature
            // width has no model, so `rounds` is rebuilt without its reference to `models`.
            try db.create(table: "rounds_v7") { t in
                t.primaryKey("id", .text)
                t.column("kind", .text).notNull().defaults(to: "train")
                t.column("model", .text).notNull()
                t.column("state", .text).notNull()
                t.column("plan", .text).notNull()
                t.column("failureReason", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.execute(
                sql: """
                    INSERT INTO rounds_v7 (id, model, state, plan, failureReason, createdAt)
                    SELECT id, model, state, plan, failureReason, createdAt FROM rounds
                    """)
            try db.drop(table: "rounds")
            try db.rename(table: "rounds_v7", to: "rounds")
            try db.create(table: "roundFailures") { t in
                t.column("roundId", .text).notNull()
                t.column("iteration", .integer).notNull()
                t.column("deviceId", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("detail", .text).notNull()
                t.column("reportedAt", .datetime).notNull()
                t.primaryKey(["roundId", "iteration", "deviceId"])
                t.foreignKey(["roundId", "iteration"], references: "roundIterations")
            }
            try db.create(table: "versionEvaluations") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("model", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("runId", .text).notNull()
                t.column("devices", .integer).notNull()
                t.column("figures", .text).notNull()
                t.column("secureAggregation", .boolean).notNull()
                t.column("createdAt", .datetime).notNull()
                t.foreignKey(["model", "version"], references: "modelVersions")
            }
            try db.create(table: "featureProfiles") { t in
                t.column("name", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("width", .integer).notNull()
                t.column("devices", .integer).notNull()
                t.column("samples", .integer).notNull()
                t.column("runId", .text).notNull()
                t.column("secureAggregation", .boolean).notNull()
                t.column("profile", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["name", "version"])
            }
            try db.create(table: "runOptimizerStates") { t in
                t.primaryKey("roundId", .text).references("rounds")
                t.column("step", .integer).notNull()
                t.column("state", .blob).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v8-access") { db in
            try AccessMigration.apply(db)
        }
        // A run's lifecycle is kept in its row, so a restarted aggregator takes it up again.
        migrator.registerMigration("v9-run-machine") { db in
            try db.alter(table: "rounds") { t in
                t.add(column: "machine", .text)
                t.add(column: "machineRevision", .integer).notNull().defaults(to: 0)
            }
            try db.alter(table: "roundIterations") { t in
                t.add(column: "attempt", .integer).notNull().defaults(to: 1)
            }
        }
        // One vocabulary: a run holds rounds. `rounds` becomes `runs`, `roundIterations` becomes
        // `rounds`, and every `roundId` / `iteration` column becomes `runId` / `round`.
        migrator.registerMigration("v10-run-vocabulary") { db in
            try db.rename(table: "rounds", to: "runs")
            try db.rename(table: "roundIterations", to: "rounds")
            for table in ["rounds", "roundUpdates", "roundFailures"] {
                try db.alter(table: table) { t in
                    t.rename(column: "roundId", to: "runId")
                    t.rename(column: "iteration", to: "round")
                }
            }
            try db.alter(table: "runOptimizerStates") { t in t.rename(column: "roundId", to: "runId") }
        }
        // Buffered asynchronous runs weigh each update by how far behind it was.
        migrator.registerMigration("v11-update-staleness") { db in
            try db.alter(table: "roundUpdates") { t in t.add(column: "staleness", .integer) }
        }
        // Devices' monitor windows, one per device, version and start.
        migrator.registerMigration("v12-monitor-windows") { db in
            try db.create(table: "monitorWindows") { t in
                t.column("deviceId", .text).notNull()
                t.column("model", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("start", .double).notNull()
                t.column("window", .text).notNull()
                t.column("receivedAt", .datetime).notNull()
                t.primaryKey(["deviceId", "model", "version", "start"])
            }
            try db.create(index: "monitorWindowsByModel", on: "monitorWindows", columns: ["model", "version", "start"])
        }
        // Monitor rules, and the alerts they fired.
        migrator.registerMigration("v13-monitor-rules") { db in
            try db.create(table: "monitorRules") { t in
                t.column("model", .text).notNull()
                t.column("name", .text).notNull()
                t.column("rule", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["model", "name"])
            }
            try db.create(table: "monitorAlerts") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("model", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("rule", .text).notNull()
                t.column("condition", .text).notNull()
                t.column("threshold", .double).notNull()
                t.column("value", .double).notNull()
                t.column("action", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("firedAt", .datetime).notNull()
                t.column("resolvedAt", .datetime)
            }
        }
        // The retraining a `retrain` rule's alert started.
        migrator.registerMigration("v14-alert-retraining") { db in
            try db.alter(table: "monitorAlerts") { t in t.add(column: "retrain", .text) }
        }
        // Experiments (shadow, A/B, bandit), and the experiment arm a monitor window belongs to,
        // part of its key.
        migrator.registerMigration("v15-experiments") { db in
            try db.create(table: "experiments") { t in
                t.primaryKey("id", .text)
                t.column("model", .text).notNull()
                t.column("mode", .text).notNull()
                t.column("selector", .text).notNull()
                t.column("candidates", .text).notNull()
                t.column("split", .double)
                t.column("minFeedback", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("reason", .text)
                t.column("promotedTo", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("endedAt", .datetime)
            }
            try db.create(table: "monitorWindowsByArm") { t in
                t.column("deviceId", .text).notNull()
                t.column("model", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("arm", .text).notNull().defaults(to: "")
                t.column("start", .double).notNull()
                t.column("window", .text).notNull()
                t.column("receivedAt", .datetime).notNull()
                t.primaryKey(["deviceId", "model", "version", "arm", "start"])
            }
            try db.execute(
                sql: """
                    INSERT INTO monitorWindowsByArm (deviceId, model, version, arm, start, window, receivedAt)
                    SELECT deviceId, model, version, '', start, window, receivedAt FROM monitorWindows
                    """)
            try db.drop(table: "monitorWindows")
            try db.rename(table: "monitorWindowsByArm", to: "monitorWindows")
            try db.create(index: "monitorWindowsByModel", on: "monitorWindows", columns: ["model", "version", "start"])
            try db.create(index: "monitorWindowsByArm", on: "monitorWindows", columns: ["arm"])
        }
        // Fleet windows summed under SecAgg+ stand for many devices.
        migrator.registerMigration("v16-secure-monitor-windows") { db in
            try db.alter(table: "monitorWindows") { t in t.add(column: "devices", .integer).notNull().defaults(to: 1) }
        }
        // Later changes are written once for both engines.
        for migration in PortableMigration.all {
            migrator.registerMigration(migration.id) { db in
                for statement in migration.statements(.sqlite) { try db.execute(sql: statement) }
            }
        }
        return migrator
    }
}
