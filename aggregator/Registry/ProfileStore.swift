import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// One version of a feature profile as stored: its summary columns and the profile as JSON.
struct ProfileRecord: Codable, Sendable, StoredRecord {
    static let tableName = "featureProfiles"
    static let primaryKey = ["name", "version"]
    var name: String
    var version: Int
    var width: Int
    var devices: Int
    var samples: Int
    var runId: String
    var secureAggregation: Bool
    var profile: FeatureProfile
    var createdAt: Date

    var summary: ProfileSummary {
        ProfileSummary(
            name: name, version: version, width: width, devices: devices, samples: samples, runId: runId,
            secureAggregation: secureAggregation, createdAt: createdAt)
    }
}

/// The registry's feature profiles: versioned like models, each made by one statistics run, and
/// read by model creation (preprocessing) and by operators (`starling stats show`).
struct ProfileStore: Sendable {
    let engine: any StorageEngine

    /// Profile names follow model names' rules.
    static func validateName(_ name: String) throws(APIError) {
        try validateReference(name)
        do {
            try ModelName.validate(name)
        } catch {
            throw .badRequest(
                .invalidProfile,
                "profile names are 1–64 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit")
        }
    }

    /// Refuses (400 `invalid_profile`) a name that looks a profile up but holds a control character.
    static func validateReference(_ name: String) throws(APIError) {
        try ControlCharacters.refuse(in: name, code: .invalidProfile, naming: "a profile name")
    }

    /// Registers the next version of profile `name`; `make` builds it once its version is known, and
    /// `alongside` writes in the same transaction (its run's end).
    func register(
        name: String, runId: String, secureAggregation: Bool, at now: Date,
        alongside: (@Sendable (any SQLConnection) throws -> Void)? = nil,
        make: @escaping @Sendable (Int) throws(APIError) -> FeatureProfile
    ) async throws(APIError) -> ProfileSummary {
        try await engine.writing { db in
            let latest = try db.integer("SELECT MAX(version) FROM featureProfiles WHERE name = ?", name)
            let profile = try make(Int(latest) + 1)
            let record = ProfileRecord(
                name: name, version: profile.version, width: profile.width, devices: profile.devices,
                samples: profile.samples, runId: runId, secureAggregation: secureAggregation, profile: profile,
                createdAt: now)
            try db.insert(record)
            try alongside?(db)
            return record.summary
        }
    }

    /// A profile, its newest version unless `version` names one; 404 `profile_not_found`.
    func profile(_ name: String, version: Int?) async throws(APIError) -> FeatureProfile {
        try Self.validateReference(name)
        let record = try await engine.reading { db in
            if let version { return try db.fetchOne(ProfileRecord.self, key: name, version) }
            return try db.fetchOne(
                ProfileRecord.self, "SELECT * FROM featureProfiles WHERE name = ? ORDER BY version DESC LIMIT 1", name)
        }
        guard let record else {
            let which = version.map { "version \($0) of " } ?? ""
            throw .notFound(.profileNotFound, "there is no \(which)feature profile named '\(name)'")
        }
        return record.profile
    }

    /// Every profile version, by name then version.
    func list() async throws(APIError) -> ProfileList {
        try await engine.reading { db in
            ProfileList(
                profiles: try db.fetchAll(
                    ProfileSummary.self,
                    """
                    SELECT name, version, width, devices, samples, runId, secureAggregation, createdAt
                    FROM featureProfiles ORDER BY name, version
                    """))
        }
    }
}
