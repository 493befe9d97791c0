import Foundation
import StarlingProtocol
import StarlingStorage

// Rows of the aggregator's tables. Nested values (tags, lineage, metrics, cohorts) are stored as
// JSON text (see StarlingStorage's RecordColumns).

/// An enrolled device.
struct DeviceRecord: Codable, Sendable, StoredRecord {
    static let tableName = "devices"
    static let primaryKey = ["id"]
    var id: String
    var tags: [Tag]
    var certificatePEM: String
    var enrolledAt: Date
    var lastSeen: Date?
    var sampleCount: Int
    var runningModel: String?
    var revoked: Bool
    var revokedAt: Date?
    var revocationReason: String?
    /// The replica that stored the device's last heartbeat.
    var seenBy: String?
}

/// A key–value setting such as the refinement model.
struct SettingRecord: Codable, Sendable, StoredRecord {
    static let tableName = "settings"
    static let primaryKey = ["key"]
    var key: String
    var value: String
}

/// A model of the registry: its fixed shape.
struct ModelRecord: Codable, Sendable, StoredRecord {
    static let tableName = "models"
    static let primaryKey = ["name"]
    var name: String
    var architecture: String
    var labels: [String]
    var confidenceThreshold: Double
    var createdAt: Date
}

/// One immutable version of a model and where its two artifacts live (fp32 and int8).
struct ModelVersionRecord: Codable, Sendable, StoredRecord {
    static let tableName = "modelVersions"
    static let primaryKey = ["model", "version"]
    var model: String
    var version: Int
    var sha256: String
    var sizeBytes: Int
    var path: String
    /// Empty only between the v2 migration and the start-up backfill (``Int8Backfill``).
    var sha256Int8: String
    var sizeBytesInt8: Int
    var pathInt8: String
    /// Empty, like `signature`, only between the v4 migration and the start-up backfill (``SignatureBackfill``).
    var manifestSha256: String
    /// The aggregator's Ed25519 signature of ``statement``, base64.
    var signature: String
    var source: VersionSource
    var lineage: VersionLineage
    var metrics: VersionMetrics
    var createdAt: Date

    var info: ModelVersionInfo {
        ModelVersionInfo(
            model: model, version: version, sha256: sha256, sizeBytes: sizeBytes, sha256Int8: sha256Int8,
            sizeBytesInt8: sizeBytesInt8, manifestSha256: manifestSha256, signature: signature, source: source,
            lineage: lineage, metrics: metrics, createdAt: createdAt)
    }

    /// The version as a device is told to install it for `deployment`.
    func desiredModel(deployment: String) -> DesiredModel {
        DesiredModel(
            deploymentId: deployment, model: model, version: version, sha256: sha256, sha256Int8: sha256Int8,
            manifestSha256: manifestSha256, signature: signature)
    }

    /// What the version's signature covers.
    var statement: VersionStatement {
        VersionStatement(
            model: model, version: version, sha256: sha256, sha256Int8: sha256Int8, manifestSha256: manifestSha256)
    }

    /// The artifact path and digest of `format`.
    func artifact(_ format: ArtifactFormat) -> (path: String, sha256: String) {
        switch format {
        case .fp32: return (path, sha256)
        case .int8: return (pathInt8, sha256Int8)
        }
    }
}

/// A deployment of one version to the devices a selector picks.
struct DeploymentRecord: Codable, Sendable, StoredRecord {
    static let tableName = "deployments"
    static let primaryKey = ["id"]
    var id: String
    var model: String
    var version: Int
    var selector: DeviceSelector
    var createdAt: Date
    /// The alias it follows, if any.
    var alias: String?
    /// The rollout's state machine as JSON (it holds the policy); nil for rows from before rollouts.
    var machine: RolloutMachine?
    var state: DeploymentState
    var reason: String?
}

/// One line of a deployment's history.
struct DeploymentEventRecord: Codable, Sendable, StoredRecord {
    static let tableName = "deploymentEvents"
    static let primaryKey = ["id"]
    static let generatedKey: String? = "id"
    var deploymentId: String
    var at: Date
    var message: String
}

/// A device's latest report on a deployment.
struct DeploymentReportRecord: Codable, Sendable, StoredRecord {
    static let tableName = "deploymentReports"
    static let primaryKey = ["deploymentId", "deviceId"]
    var deploymentId: String
    var deviceId: String
    var state: DeviceDeploymentState
    var message: String?
    var reportedAt: Date
    var health: InstallHealth?
}
