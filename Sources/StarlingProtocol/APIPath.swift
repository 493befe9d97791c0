/// Every HTTP path of protocol v1, in one place so agent, aggregator and CLI cannot drift apart.
///
/// docs/openapi.yaml describes each of them. Public listener (server TLS; admin calls carry a bearer
/// token): `healthz`, `leader`, `openAPI`, `enroll`, `refine`, `metrics`, `admin…`. Device listener (mutual TLS; the device id comes from the client
/// certificate): `device…` and `refine`. Agent local API (loopback or Unix socket): `predict`,
/// `samples`, `status`, `metrics`.
public enum APIPath {
    public static let healthz = "/healthz"
    /// `GET`, without authentication: 200 on the aggregator process that coordinates (for a load
    /// balancer's health check), 503 `not_leader` on the others.
    public static let leader = "/v1/leader"
    /// `GET`: docs/openapi.yaml as JSON, on the aggregator's public listener without authentication.
    public static let openAPI = "/openapi.json"
    public static let enroll = "/v1/enroll"
    public static let refine = "/v1/refine"
    /// Prometheus metrics in the text format: the aggregator's (also on its metrics listener) or an agent's.
    public static let metrics = "/metrics"

    /// `POST` a ``CreateEnrollmentTokenRequest``; `GET` lists the enrollment tokens.
    public static let adminEnrollmentTokens = "/v1/admin/enrollment-tokens"
    /// `POST`: no device enrolls with this enrollment token any more.
    public static func adminEnrollmentTokenRevocation(id: String) -> String {
        "/v1/admin/enrollment-tokens/\(id)/revoke"
    }
    /// `POST` a ``CreateAdminTokenRequest``; `GET` lists the admin tokens.
    public static let adminTokens = "/v1/admin/tokens"
    /// `POST`: the admin token authenticates nothing any more.
    public static func adminTokenRevocation(id: String) -> String { "/v1/admin/tokens/\(id)/revoke" }
    public static let adminDevices = "/v1/admin/devices"
    /// `POST` a ``RevokeDeviceRequest``: the device's certificate is refused from then on.
    public static func adminDeviceRevocation(id: String) -> String { "/v1/admin/devices/\(id)/revoke" }
    /// `GET` the audit log, newest first; `?since=` (ISO 8601) and `?limit=` narrow it.
    public static let adminAudit = "/v1/admin/audit"
    public static let adminModels = "/v1/admin/models"
    /// `POST` with a safetensors body; `?name=` overrides the manifest's model name.
    public static let adminModelImport = "/v1/admin/models/import"
    public static func adminVersions(model: String) -> String { "/v1/admin/models/\(model)/versions" }
    /// `GET`: the version's fp32 artifact, or with `format` ``ArtifactFormat/int8`` its int8 artifact.
    public static func adminWeights(model: String, version: Int, format: ArtifactFormat = .fp32) -> String {
        "/v1/admin/models/\(model)/versions/\(version)/weights" + format.query
    }
    public static func adminAliases(model: String) -> String { "/v1/admin/models/\(model)/aliases" }
    public static func adminAlias(model: String, alias: String) -> String {
        "/v1/admin/models/\(model)/aliases/\(alias)"
    }
    public static let adminRuns = "/v1/admin/runs"
    public static func adminRun(id: String) -> String { "/v1/admin/runs/\(id)" }
    public static let adminDeployments = "/v1/admin/deployments"
    public static func adminDeployment(id: String) -> String { "/v1/admin/deployments/\(id)" }
    /// `POST`: `pause`, `resume`, `abort` or `rollback`.
    public static func adminDeployment(id: String, action: String) -> String { "/v1/admin/deployments/\(id)/\(action)" }
    public static func adminDeploymentEvents(id: String) -> String { "/v1/admin/deployments/\(id)/events" }
    public static let adminRefinement = "/v1/admin/refinement"
    /// `POST` an ``EvaluateRequest``: starts a federated evaluation run.
    public static let adminEvaluations = "/v1/admin/evaluations"
    /// `POST` a ``CollectStatisticsRequest`` (starts a statistics run); `GET` lists the profiles.
    public static let adminProfiles = "/v1/admin/profiles"
    /// `GET`: a feature profile, its newest version unless `?version=` names one.
    public static func adminProfile(name: String) -> String { "/v1/admin/profiles/\(name)" }

    public static let deviceWatch = "/v1/device/watch"
    /// `POST` a ``MonitorUpload``: the device's closed monitor windows.
    public static let deviceMonitor = "/v1/device/monitor"
    /// `GET`: the fleet's monitors of a model (``FleetMonitorReport``), `?version=V&window=S`.
    public static func adminMonitor(model: String) -> String { "/v1/admin/models/\(model)/monitor" }
    /// `POST` a ``SetMonitorRuleRequest``; `GET` the ``MonitorRuleList``.
    public static let adminMonitorRules = "/v1/admin/monitor/rules"
    /// `GET`: the ``MonitorAlertList``, newest first.
    public static let adminMonitorAlerts = "/v1/admin/monitor/alerts"
    /// `GET`: as ``adminWeights(model:version:format:)``, on the device listener.
    public static func deviceWeights(model: String, version: Int, format: ArtifactFormat = .fp32) -> String {
        "/v1/device/models/\(model)/versions/\(version)/weights" + format.query
    }
    public static func deviceUpdate(runId: String, round: Int) -> String {
        "/v1/device/runs/\(runId)/rounds/\(round)/update"
    }
    /// The secure-aggregation stage messages of one round: `POST` a device's message, `GET`
    /// the aggregator's reply once the stage has closed (`stage` is `keys`, `shares`,
    /// `masked-input` or `unmasking`).
    public static func deviceSecureAggregation(runId: String, round: Int, stage: String) -> String {
        "/v1/device/runs/\(runId)/rounds/\(round)/secagg/\(stage)"
    }
    /// `POST` a ``ClientFailureReport``: the device takes no part in this round.
    public static func deviceFailure(runId: String, round: Int) -> String {
        "/v1/device/runs/\(runId)/rounds/\(round)/failure"
    }
    /// `POST` an evaluating device's ``EvaluationFigures`` in a round without secure aggregation.
    public static func deviceEvaluation(runId: String, round: Int) -> String {
        "/v1/device/runs/\(runId)/rounds/\(round)/evaluation"
    }
    /// `POST` a device's feature statistics (safetensors) in a round without secure aggregation.
    public static func deviceStatistics(runId: String, round: Int) -> String {
        "/v1/device/runs/\(runId)/rounds/\(round)/statistics"
    }
    public static func deviceDeploymentReport(id: String) -> String {
        "/v1/device/deployments/\(id)/report"
    }

    public static let agentPredict = "/v1/predict"
    public static let agentPredictBatch = "/v1/predict/batch"
    public static let agentSamples = "/v1/samples"
    public static let agentStatus = "/v1/status"
    public static let agentFeedback = "/v1/feedback"
    public static let agentFeedbackBatch = "/v1/feedback/batch"
    public static let agentMonitor = "/v1/monitor"
}

/// The largest request bodies each side accepts, in bytes.
public enum BodyLimit {
    public static let json = 1 << 20
    public static let modelArtifact = 64 << 20
}
