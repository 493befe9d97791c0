import Foundation
import StarlingProtocol
import StarlingStorage

/// A row of `modelAliases`: which version a model's alias names now.
struct ModelAliasRecord: Codable, Sendable, StoredRecord {
    static let tableName = "modelAliases"
    static let primaryKey = ["model", "alias"]
    var model: String
    var alias: String
    var version: Int
    var updatedAt: Date

    var info: ModelAlias { ModelAlias(model: model, alias: alias, version: version, updatedAt: updatedAt) }
}

/// Aliases of registry versions: set (create or move), list, delete, resolve. Moving an alias is
/// how an operator ships a new version to every deployment that follows it (see ``Rollouts``).
struct ModelAliases: Sendable {
    let engine: any StorageEngine
    let clock: @Sendable () -> Date

    /// Alias names are short identifiers so they can sit in a URL and a command line.
    static func validate(_ alias: String) throws(APIError) {
        try ControlCharacters.refuse(in: alias, code: .invalidAlias, naming: "an alias")
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        guard (1...64).contains(alias.count), alias.allSatisfy({ allowed.contains($0) }), alias.first != "." else {
            throw .badRequest(
                .invalidAlias,
                "an alias is 1–64 characters of lowercase letters, digits, '-', '_' or '.', not '\(alias)'")
        }
    }

    /// Refuses a model name or alias with a control character, which would look up a shorter one.
    private static func validateReference(model: String, alias: String?) throws(APIError) {
        try ModelName.validateReference(model)
        if let alias { try ControlCharacters.refuse(in: alias, code: .invalidAlias, naming: "an alias") }
    }

    /// The row that points `alias` of `model` at `version`, once the names are checked.
    func record(model: String, alias: String, version: Int) throws(APIError) -> ModelAliasRecord {
        try Self.validateReference(model: model, alias: nil)
        try Self.validate(alias)
        return ModelAliasRecord(model: model, alias: alias, version: version, updatedAt: clock())
    }

    /// Writes `record` in `db`, within the caller's transaction: 404 unless its model and version exist.
    static func save(_ record: ModelAliasRecord, in db: any SQLConnection) throws {
        guard try db.exists(ModelRecord.self, key: record.model) else {
            throw APIError.modelNotFound(record.model)
        }
        guard try db.exists(ModelVersionRecord.self, key: record.model, record.version)
        else { throw APIError.versionNotFound(record.model, record.version) }
        try db.save(record)
    }

    func list(model: String) async throws(APIError) -> AliasList {
        try Self.validateReference(model: model, alias: nil)
        return try await engine.reading { db in
            guard try db.exists(ModelRecord.self, key: model) else {
                throw APIError.modelNotFound(model)
            }
            let rows = try db.fetchAll(
                ModelAliasRecord.self, "SELECT * FROM modelAliases WHERE model = ? ORDER BY alias", model)
            return AliasList(aliases: rows.map(\.info))
        }
    }

    /// The version `alias` names; 404 `alias_not_found` if it names none.
    func resolve(model: String, alias: String) async throws(APIError) -> Int {
        try Self.validateReference(model: model, alias: alias)
        return try await engine.reading { db in
            guard let row = try db.fetchOne(ModelAliasRecord.self, key: model, alias) else {
                throw APIError.notFound(.aliasNotFound, "model '\(model)' has no alias '\(alias)'")
            }
            return row.version
        }
    }

    /// Removes `alias`; 404 `alias_not_found` if there is none.
    func delete(model: String, alias: String) async throws(APIError) {
        try Self.validateReference(model: model, alias: alias)
        try await engine.writing { db in
            guard try db.delete(ModelAliasRecord.self, key: model, alias) else {
                throw APIError.notFound(.aliasNotFound, "model '\(model)' has no alias '\(alias)'")
            }
        }
    }
}
