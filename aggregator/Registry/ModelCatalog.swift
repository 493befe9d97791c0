import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// Read access to the registry: listings, version rows and artifacts, with the API's 404s.
struct ModelCatalog: Sendable {
    let engine: any StorageEngine
    let artifacts: ArtifactStore
    private let rows = VersionRows()

    init(engine: any StorageEngine, directory: DataDirectory) {
        self.engine = engine
        artifacts = ArtifactStore(engine: engine, directory: directory)
    }

    func models() async throws(APIError) -> ModelList {
        try await engine.reading { db in
            let rows = try db.rows(
                """
                SELECT m.*, (SELECT MAX(version) FROM modelVersions v WHERE v.model = m.name) AS latest
                FROM models m ORDER BY m.name
                """)
            return ModelList(
                models: try rows.map { row in
                    let model = try row.decode(ModelRecord.self)
                    return ModelInfo(
                        name: model.name, architecture: model.architecture, labels: model.labels,
                        confidenceThreshold: model.confidenceThreshold,
                        latestVersion: row.isNull("latest") ? 0 : Int(try row.integer("latest")),
                        createdAt: model.createdAt)
                })
        }
    }

    /// How many models and versions the registry holds.
    func counts() async throws(APIError) -> (models: Int, versions: Int) {
        try await engine.reading { db in
            (
                Int(try db.integer("SELECT COUNT(*) FROM models")),
                Int(try db.integer("SELECT COUNT(*) FROM modelVersions"))
            )
        }
    }

    /// Every version of `model`, oldest first; 404 `model_not_found` for an unknown model, 400
    /// `invalid_model` for a name with a control character.
    func versions(of model: String) async throws(APIError) -> VersionList {
        try ModelName.validateReference(model)
        return try await engine.reading { db in
            guard try db.exists(ModelRecord.self, key: model) else {
                throw APIError.modelNotFound(model)
            }
            let rows = try db.fetchAll(
                ModelVersionRecord.self, "SELECT * FROM modelVersions WHERE model = ? ORDER BY version", model)
            return VersionList(versions: rows.map(\.info))
        }
    }

    /// One version's row (the newest when `version` is nil), with the API's 404s; a name with a
    /// control character is 400 `invalid_model`.
    func version(of model: String, _ version: Int?) async throws(APIError) -> ModelVersionRecord {
        try ModelName.validateReference(model)
        if let version, let row = rows.row(VersionTag(model: model, version: version).description) { return row }
        let row = try await engine.reading { db in
            guard try db.exists(ModelRecord.self, key: model) else {
                throw APIError.modelNotFound(model)
            }
            let row =
                if let version {
                    try db.fetchOne(ModelVersionRecord.self, key: model, version)
                } else {
                    try db.fetchOne(
                        ModelVersionRecord.self,
                        "SELECT * FROM modelVersions WHERE model = ? ORDER BY version DESC LIMIT 1", model)
                }
            guard let row else { throw APIError.versionNotFound(model, version ?? 1) }
            return row
        }
        rows.keep(row)
        return row
    }

    /// The row of the version `tag` names, if it has been read or kept already; for callers that
    /// cannot wait on the database, such as a watch assembling its desired model.
    func loadedVersion(_ tag: String) -> ModelVersionRecord? {
        rows.row(tag)
    }

    /// Keeps a row read elsewhere, so ``loadedVersion(_:)`` finds it.
    func keep(_ row: ModelVersionRecord) {
        rows.keep(row)
    }

    /// The bytes of a version's artifact in `format` (see ``ArtifactStore``).
    func artifact(_ record: ModelVersionRecord, format: ArtifactFormat = .fp32) throws(APIError) -> [UInt8] {
        try artifacts.bytes(of: record, format: format)
    }

    /// The decoded bundle of a version.
    func bundle(_ record: ModelVersionRecord) throws(APIError) -> ModelBundle {
        do {
            return try ModelBundle(decoding: try artifact(record))
        } catch let error as APIError {
            throw error
        } catch {
            throw .internal("the artifact of \(record.model)@\(record.version) is unreadable: \(error)")
        }
    }
}
