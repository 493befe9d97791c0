import Hummingbird

/// Times every request of one listener into `starling_http_request_duration_seconds`, labelled with
/// the route template the router matched (never the raw path, which holds ids), the method (one of
/// a fixed set) and the status. It must be the router's first middleware, so the status it sees is
/// the one the client gets.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let metrics: AggregatorMetrics
    let listener: AggregatorMetrics.Listener

    /// Methods recorded by name; any other is recorded as `other`.
    private static let methods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .delete, .patch, .options]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(request, context, status: status, since: start)
            throw error
        }
    }

    private func record(
        _ request: Request, _ context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant
    ) {
        // Hummingbird names the route of a request nothing matched "NotFound".
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 }
        let method = Self.methods.contains(request.method) ? request.method.rawValue : "other"
        metrics.request(
            on: listener, route: route, method: method, status: status.code, duration: start.duration(to: .now))
    }
}
