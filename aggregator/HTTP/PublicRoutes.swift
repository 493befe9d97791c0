import Hummingbird
import StarlingProtocol

/// The public listener (server TLS only): health, enrollment, admin-authenticated refinement,
/// metrics and the admin API.
enum PublicRoutes {
    static func router(_ components: Components) -> Router<AggregatorRequestContext> {
        let router = Router(context: AggregatorRequestContext.self)
        router.middlewares.add(HTTPMetricsMiddleware(metrics: components.metrics, listener: .public))
        router.middlewares.add(ErrorBodyMiddleware())
        router.middlewares.add(MethodMiddleware())
        router.get(RouterPath(APIPath.healthz)) { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.post(RouterPath(APIPath.enroll)) { request, _ in
            let body = try await RequestBody.json(EnrollmentRequest.self, from: request)
            let response = try await components.enrollment.enroll(body, deviceURL: await components.endpoints.deviceURL())
            return try JSONResponse.make(response)
        }
        router.group(RouterPath(APIPath.refine))
            .add(middleware: BearerAuthMiddleware(pool: components.pool, admits: [.admin]))
            .post { request, _ in
                try await RefineHandler.answer(request, refinement: components.refinement, metrics: components.metrics)
            }
        router.group(RouterPath(APIPath.metrics))
            .add(middleware: BearerAuthMiddleware(pool: components.pool, admits: MetricsRoutes.readers))
            .get { _, _ in try await MetricsRoutes.answer(components) }
        AdminRoutes.add(
            to: router.group("v1/admin").add(middleware: BearerAuthMiddleware(pool: components.pool, admits: [.admin])),
            components)
        return router
    }
}
