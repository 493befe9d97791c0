import Hummingbird
import StarlingProtocol

/// Every route of the admin API with the least ``AdminRole`` that may call it: the one place
/// access is decided. ``AdminRoutes`` registers the routes from these cases only, and every call
/// goes through ``AdminGate``, so a route cannot be added without choosing its role here.
enum AdminEndpoint: CaseIterable, Sendable {
    case listAdminTokens, createAdminToken, revokeAdminToken
    case listEnrollmentTokens, createEnrollmentToken, revokeEnrollmentToken
    case listDevices, revokeDevice
    case listModels, createModel, importModel, listVersions, downloadWeights, showMonitor
    case listAliases, setAlias, deleteAlias
    case startRun, showRun, startEvaluation
    case listProfiles, showProfile, collectStatistics
    case createDeployment, showDeployment, listDeploymentEvents, steerDeployment
    case setMonitorRule, listMonitorRules, listMonitorAlerts
    case setRefinement
    case readAudit

    /// Method, path under `/v1/admin/` (Hummingbird's `:parameter` syntax) and least role.
    var route: (method: HTTPRequest.Method, path: String, role: AdminRole) {
        switch self {
        case .listAdminTokens: (.get, "tokens", .admin)
        case .createAdminToken: (.post, "tokens", .admin)
        case .revokeAdminToken: (.post, "tokens/:id/revoke", .admin)
        case .listEnrollmentTokens: (.get, "enrollment-tokens", .admin)
        case .createEnrollmentToken: (.post, "enrollment-tokens", .admin)
        case .revokeEnrollmentToken: (.post, "enrollment-tokens/:id/revoke", .admin)
        case .listDevices: (.get, "devices", .viewer)
        case .revokeDevice: (.post, "devices/:id/revoke", .admin)
        case .listModels: (.get, "models", .viewer)
        case .createModel: (.post, "models", .admin)
        case .importModel: (.post, "models/import", .admin)
        case .listVersions: (.get, "models/:name/versions", .viewer)
        case .downloadWeights: (.get, "models/:name/versions/:version/weights", .viewer)
        case .showMonitor: (.get, "models/:name/monitor", .viewer)
        case .listAliases: (.get, "models/:name/aliases", .viewer)
        case .setAlias: (.put, "models/:name/aliases/:alias", .operator)
        case .deleteAlias: (.delete, "models/:name/aliases/:alias", .operator)
        case .startRun: (.post, "runs", .operator)
        case .showRun: (.get, "runs/:id", .viewer)
        case .startEvaluation: (.post, "evaluations", .operator)
        case .listProfiles: (.get, "profiles", .viewer)
        case .showProfile: (.get, "profiles/:name", .viewer)
        case .collectStatistics: (.post, "profiles", .operator)
        case .createDeployment: (.post, "deployments", .operator)
        case .showDeployment: (.get, "deployments/:id", .viewer)
        case .listDeploymentEvents: (.get, "deployments/:id/events", .viewer)
        case .steerDeployment: (.post, "deployments/:id/:action", .operator)
        case .setMonitorRule: (.post, "monitor/rules", .operator)
        case .listMonitorRules: (.get, "monitor/rules", .viewer)
        case .listMonitorAlerts: (.get, "monitor/alerts", .viewer)
        case .setRefinement: (.put, "refinement", .admin)
        case .readAudit: (.get, "audit", .admin)
        }
    }

    /// Whether only the leader can carry the call out (it changes what the leader coordinates:
    /// rollouts, experiments, the aliases they follow, a revocation that drops a device from the
    /// rounds in progress): another replica sends it on to the leader (``LeaderForwarder``).
    var carriedOutByLeader: Bool {
        switch self {
        case .revokeDevice, .setAlias, .deleteAlias, .createDeployment, .steerDeployment: true
        default: false
        }
    }

    /// The full route template, as the audit log records it: `/v1/admin/deployments/:id/:action`.
    var template: String { "/v1/admin/" + route.path }

    /// The names of the route's parameters, in order.
    var parameters: [String] {
        route.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }

    /// Whether a call can change state, and so is written to the audit log: every method but GET.
    var isAudited: Bool { route.method != .get }
}
