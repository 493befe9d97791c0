import Hummingbird
import StarlingProtocol

/// The public listener (server TLS only): health, leadership, the API's own description (``OpenAPIDocument``),
/// enrollment, refinement and metrics for any working admin token, the admin API with its roles
/// (``AdminEndpoint``) and the web dashboard under `/ui` (``DashboardRoutes``).
enum PublicRoutes {
    static func router(_ components: Components) -> Router<AggregatorRequestContext> {
        let router = Router(context: AggregatorRequestContext.self)
        router.middlewares.add(HTTPMetricsMiddleware(metrics: components.metrics, listener: .public))
        router.middlewares.add(ErrorBodyMiddleware())
        router.middlewares.add(MethodMiddleware())
        router.get(RouterPath(APIPath.healthz)) { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get(RouterPath(APIPath.leader)) { _, _ in
            guard let epoch = components.leadership.epoch else {
                throw APIError.notLeader("this aggregator does not coordinate now")
            }
            return try JSONResponse.make(LeaderStatus(replica: components.leadership.replica, epoch: epoch))
        }
        router.get(RouterPath(APIPath.openAPI)) { _, _ in OpenAPIDocument.response() }
        router.post(RouterPath(APIPath.enroll)) { request, _ in
            let body = try await RequestBody.json(EnrollmentRequest.self, from: request)
            let response = try await components.enrollment.enroll(
                body, deviceURL: await components.endpoints.deviceURL())
            return try JSONResponse.make(response)
        }
        let authentication = AdminAuthMiddleware(tokens: components.adminTokens)
        // Any working token may ask for refinement: it is a prediction and changes nothing.
        router.group(RouterPath(APIPath.refine))
            .add(middleware: authentication)
            .post { request, _ in
                try await RefineHandler.answer(request, refinement: components.refinement, metrics: components.metrics)
            }
        // Metrics are for every role, viewer up: they reveal no device, run or model by name.
        router.group(RouterPath(APIPath.metrics))
            .add(middleware: authentication)
            .get { _, _ in try await MetricsRoutes.answer(components) }
        AdminRoutes.add(to: router.group("v1/admin").add(middleware: authentication), components)
        DashboardRoutes.add(to: router, components)
        return router
    }
}
