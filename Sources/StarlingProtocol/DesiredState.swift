#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a device sends when it opens a watch: the revision it already has and a heartbeat.
public struct WatchRequest: Codable, Sendable {
    /// The revision of the last desired state the device acted on; empty on the first call.
    public var revision: String
    public var sampleCount: Int
    /// The model the device runs now, as `name@version`.
    public var runningModel: String?
    /// Seconds the aggregator may hold the request before answering unchanged; capped by it.
    public var waitSeconds: Double?

    public init(revision: String, sampleCount: Int, runningModel: String?, waitSeconds: Double? = nil) {
        self.revision = revision
        self.sampleCount = sampleCount
        self.runningModel = runningModel
        self.waitSeconds = waitSeconds
    }
}

/// The model version a device should run, from the deployment that targets it.
public struct DesiredModel: Codable, Sendable, Equatable {
    public var deploymentId: String
    public var model: String
    public var version: Int
    /// SHA-256 of the fp32 artifact.
    public var sha256: String
    /// SHA-256 of the int8 artifact phase one runs.
    public var sha256Int8: String
    /// SHA-256 of the version's manifest.
    public var manifestSha256: String
    /// The aggregator's Ed25519 signature of the version's ``VersionStatement``, base64.
    public var signature: String

    public init(
        deploymentId: String, model: String, version: Int, sha256: String, sha256Int8: String, manifestSha256: String,
        signature: String
    ) {
        self.deploymentId = deploymentId
        self.model = model
        self.version = version
        self.sha256 = sha256
        self.sha256Int8 = sha256Int8
        self.manifestSha256 = manifestSha256
        self.signature = signature
    }

    /// What the signature must cover.
    public var statement: VersionStatement {
        VersionStatement(
            model: model, version: version, sha256: sha256, sha256Int8: sha256Int8, manifestSha256: manifestSha256)
    }
}

/// Everything a device should be doing, as of `revision`: answered by the long-poll watch as soon as
/// it differs from the revision the device sent, or unchanged when the wait runs out.
public struct DesiredState: Codable, Sendable, Equatable {
    public var revision: String
    public var model: DesiredModel?
    public var rounds: [RoundTask]
    /// The experiment the device takes part in beside its model, if any.
    public var experiment: DesiredExperiment?
    /// How the device's monitor windows reach the aggregator; nil (older aggregators) is per device.
    public var monitorUpload: MonitorUploadMode?

    public init(
        revision: String, model: DesiredModel?, rounds: [RoundTask], experiment: DesiredExperiment? = nil,
        monitorUpload: MonitorUploadMode? = nil
    ) {
        self.monitorUpload = monitorUpload
        self.experiment = experiment
        self.revision = revision
        self.model = model
        self.rounds = rounds
    }
}
