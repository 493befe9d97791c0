/// The `model_slot` table: the active and previous model versions, replaced together.
extension AgentStore {
    /// The recorded slots; empty on a device that never installed a model.
    func modelSlots() async throws(AgentError) -> ModelSlots {
        try await read { db throws(SQLiteError) in
            var slots = ModelSlots.empty
            let rows = try db.prepare(
                "SELECT role, name, version, sha256, sha256_int8, deployment_id FROM model_slot"
            ).rows { row -> (String, InstalledModelRecord)? in
                guard let role = row.text(0), let name = row.text(1), let sha256 = row.text(3),
                    let sha256Int8 = row.text(4)
                else { return nil }
                return (
                    role,
                    InstalledModelRecord(
                        name: name, version: Int(row.integer(2)), sha256: sha256, sha256Int8: sha256Int8,
                        deploymentId: row.text(5))
                )
            }
            for case let (role, record)? in rows {
                if role == "active" { slots.active = record } else { slots.previous = record }
            }
            return slots
        }
    }

    /// Replaces both slots in one transaction, synced to disk before it returns (a switch must not
    /// be undone by a power cut once the files it dropped may be deleted).
    func recordModelSlots(_ slots: ModelSlots) async throws(AgentError) {
        try await durableWrite { db throws(SQLiteError) in
            try db.execute("DELETE FROM model_slot")
            let insert = try db.prepare(
                """
                INSERT INTO model_slot (role, name, version, sha256, sha256_int8, deployment_id)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            for (role, record) in [("active", slots.active), ("previous", slots.previous)] {
                guard let record else { continue }
                try insert.run([
                    .text(role), .text(record.name), .integer(Int64(record.version)), .text(record.sha256),
                    .text(record.sha256Int8), record.deploymentId.map(SQLiteValue.text) ?? .null,
                ])
            }
        }
    }
}
