import Hummingbird
import StarlingMetrics
import StarlingProtocol

/// `GET /metrics`: the aggregator's metrics in the Prometheus text format, with the fleet's state
/// counted when the scrape arrives. The public listener serves it to every working admin token, viewer
/// and up; the listener of `--metrics-listen` serves it, and nothing else, without authentication, for
/// scrapers on a network the operator trusts.
enum MetricsRoutes {
    /// The router of the metrics listener.
    static func router(_ components: Components) -> Router<AggregatorRequestContext> {
        let router = Router(context: AggregatorRequestContext.self)
        router.middlewares.add(HTTPMetricsMiddleware(metrics: components.metrics, listener: .metrics))
        router.middlewares.add(ErrorBodyMiddleware())
        router.get(RouterPath(APIPath.metrics)) { _, _ in try await answer(components) }
        return router
    }

    static func answer(_ components: Components) async throws(APIError) -> Response {
        components.metrics.record(try await FleetCensus.take(components))
        return Response(
            status: .ok, headers: [.contentType: MetricsRegistry.contentType],
            body: .init(byteBuffer: ByteBuffer(string: components.metrics.registry.exposition())))
    }
}
