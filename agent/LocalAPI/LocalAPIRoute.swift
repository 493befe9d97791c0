import NIOHTTP1
import StarlingProtocol

/// Every route of the agent's local API: ``LocalAPIRouter`` dispatches from this list only, so the
/// tests can hold it against docs/openapi.yaml and a route cannot be added without being described.
enum LocalAPIRoute: CaseIterable, Sendable {
    case predict, predictBatch, addSamples, feedback, feedbackBatch, monitor, status, metrics, health

    var method: HTTPMethod {
        switch self {
        case .predict, .predictBatch, .addSamples, .feedback, .feedbackBatch: .POST
        case .monitor, .status, .metrics, .health: .GET
        }
    }

    var path: String {
        switch self {
        case .predict: APIPath.agentPredict
        case .predictBatch: APIPath.agentPredictBatch
        case .addSamples: APIPath.agentSamples
        case .feedback: APIPath.agentFeedback
        case .feedbackBatch: APIPath.agentFeedbackBatch
        case .monitor: APIPath.agentMonitor
        case .status: APIPath.agentStatus
        case .metrics: APIPath.metrics
        case .health: APIPath.healthz
        }
    }

    /// The route of `method` on `path` (without its query): 404 `not_found` when no route has the
    /// path, 405 `method_not_allowed` when none of its routes takes the method.
    static func matching(method: HTTPMethod, path: String) throws(APIProblem) -> LocalAPIRoute {
        let routes = allCases.filter { $0.path == path }
        guard !routes.isEmpty else { throw .notFound }
        guard let route = routes.first(where: { $0.method == method }) else { throw .methodNotAllowed }
        return route
    }
}
