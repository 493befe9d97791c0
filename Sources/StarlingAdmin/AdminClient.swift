import Foundation
import NIOSSL
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Typed calls to the aggregator's admin API, one method per endpoint, every failure an ``AdminError``.
///
/// - Important: call ``shutdown()`` when done.
public struct AdminClient: Sendable {
    let http: StarlingHTTPClient

    public init(connection: AdminConnection) throws(AdminError) {
        let tls: TLSConfiguration
        do {
            tls = try TLSConfigurations.client(trusting: connection.caCertificatePEM, identity: nil)
        } catch {
            throw .configuration("the CA certificate is not usable: \(error)")
        }
        http = StarlingHTTPClient(baseURL: connection.url, tls: tls, bearerToken: connection.token)
    }

    public func shutdown() async { await http.shutdown() }

    public func createEnrollmentToken(_ request: CreateEnrollmentTokenRequest) async throws(AdminError)
        -> EnrollmentTokenInfo
    {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminEnrollmentTokens, json: request)
        }
    }

    public func devices() async throws(AdminError) -> [DeviceInfo] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminDevices, as: DeviceList.self)
        }.devices
    }

    public func createModel(_ request: CreateModelRequest) async throws(AdminError) -> ModelVersionInfo {
        try await call { () async throws(StarlingHTTPError) in try await http.post(APIPath.adminModels, json: request) }
    }

    public func importModel(safetensors: [UInt8], name: String?) async throws(AdminError) -> ModelVersionInfo {
        var path = APIPath.adminModelImport
        if let name, let encoded = name.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) {
            path += "?name=\(encoded)"
        }
        let target = path
        return try await call { () async throws(StarlingHTTPError) in try await http.post(target, bytes: safetensors) }
    }

    public func models() async throws(AdminError) -> [ModelInfo] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminModels, as: ModelList.self)
        }.models
    }

    public func versions(model: String) async throws(AdminError) -> [ModelVersionInfo] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminVersions(model: model), as: VersionList.self)
        }.versions
    }

    /// A version's artifact in `format` (fp32 by default).
    public func weights(model: String, version: Int, format: ArtifactFormat = .fp32) async throws(AdminError) -> [UInt8]
    {
        try await call { () async throws(StarlingHTTPError) in
            try await http.getBytes(APIPath.adminWeights(model: model, version: version, format: format))
        }
    }

    /// The aggregator's metrics in Prometheus text format.
    public func metricsText() async throws(AdminError) -> String {
        let bytes = try await call { () async throws(StarlingHTTPError) in try await http.getBytes(APIPath.metrics) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func startRun(_ request: StartRunRequest) async throws(AdminError) -> RunInfo {
        try await call { () async throws(StarlingHTTPError) in try await http.post(APIPath.adminRuns, json: request) }
    }

    /// The fleet's monitors of `model` over the last `seconds`, for one version or all.
    public func monitor(model: String, version: Int?, seconds: Double) async throws(AdminError) -> FleetMonitorReport {
        var path = APIPath.adminMonitor(model: model) + "?window=\(Int(seconds))"
        if let version { path += "&version=\(version)" }
        return try await call { () async throws(StarlingHTTPError) in try await http.get(path) }
    }

    public func setMonitorRule(_ request: SetMonitorRuleRequest) async throws(AdminError) -> MonitorRule {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminMonitorRules, json: request)
        }
    }

    public func monitorRules() async throws(AdminError) -> [MonitorRule] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminMonitorRules, as: MonitorRuleList.self)
        }.rules
    }

    public func monitorAlerts() async throws(AdminError) -> [MonitorAlert] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminMonitorAlerts, as: MonitorAlertList.self)
        }.alerts
    }

    public func run(id: String) async throws(AdminError) -> RunInfo {
        try await call { () async throws(StarlingHTTPError) in try await http.get(APIPath.adminRun(id: id)) }
    }

    public func deploy(_ request: CreateDeploymentRequest) async throws(AdminError) -> DeploymentInfo {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminDeployments, json: request)
        }
    }

    public func deployment(id: String) async throws(AdminError) -> DeploymentInfo {
        try await call { () async throws(StarlingHTTPError) in try await http.get(APIPath.adminDeployment(id: id)) }
    }

    /// `pause`, `resume`, `abort` or `rollback`.
    public func deployment(id: String, action: String) async throws(AdminError) -> DeploymentInfo {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminDeployment(id: id, action: action), json: EmptyBody())
        }
    }

    /// Ships an experiment's winner as a rollout.
    public func promote(id: String, _ request: PromoteRequest) async throws(AdminError) -> DeploymentInfo {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminDeployment(id: id, action: "promote"), json: request)
        }
    }

    public func deploymentEvents(id: String) async throws(AdminError) -> [DeploymentEvent] {
        try await call { () async throws(StarlingHTTPError) in
            let list: DeploymentEventList = try await http.get(APIPath.adminDeploymentEvents(id: id))
            return list.events
        }
    }

    public func setAlias(model: String, alias: String, version: Int) async throws(AdminError) -> ModelAlias {
        try await call { () async throws(StarlingHTTPError) in
            try await http.put(APIPath.adminAlias(model: model, alias: alias), json: SetAliasRequest(version: version))
        }
    }

    public func aliases(model: String) async throws(AdminError) -> [ModelAlias] {
        try await call { () async throws(StarlingHTTPError) in
            let list: AliasList = try await http.get(APIPath.adminAliases(model: model))
            return list.aliases
        }
    }

    public func deleteAlias(model: String, alias: String) async throws(AdminError) -> [ModelAlias] {
        try await call { () async throws(StarlingHTTPError) in
            let list: AliasList = try await http.delete(APIPath.adminAlias(model: model, alias: alias))
            return list.aliases
        }
    }

    /// Starts a federated evaluation run.
    public func evaluate(_ request: EvaluateRequest) async throws(AdminError) -> RunInfo {
        try await call { () async throws(StarlingHTTPError) in
            try await http.post(APIPath.adminEvaluations, json: request)
        }
    }

    /// Starts a statistics run that collects a feature profile.
    public func collectStatistics(_ request: CollectStatisticsRequest) async throws(AdminError) -> RunInfo {
        try await call { () async throws(StarlingHTTPError) in try await http.post(APIPath.adminProfiles, json: request)
        }
    }

    public func profiles() async throws(AdminError) -> [ProfileSummary] {
        try await call { () async throws(StarlingHTTPError) in
            try await http.get(APIPath.adminProfiles, as: ProfileList.self)
        }.profiles
    }

    /// A feature profile, its newest version unless `version` names one.
    public func profile(name: String, version: Int? = nil) async throws(AdminError) -> FeatureProfile {
        let path = APIPath.adminProfile(name: name) + (version.map { "?version=\($0)" } ?? "")
        return try await call { () async throws(StarlingHTTPError) in try await http.get(path) }
    }

    public func setRefinement(_ settings: RefinementSettings) async throws(AdminError) -> RefinementSettings {
        try await call { () async throws(StarlingHTTPError) in
            try await http.put(APIPath.adminRefinement, json: settings)
        }
    }

    func call<T>(_ body: () async throws(StarlingHTTPError) -> T) async throws(AdminError) -> T {
        do {
            return try await body()
        } catch {
            throw AdminError(error)
        }
    }
}

/// The body of a POST that carries nothing.
struct EmptyBody: Codable, Sendable {}
