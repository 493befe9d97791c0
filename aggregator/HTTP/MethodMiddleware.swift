import Hummingbird

/// Refuses every method the API has no route for with 405 `method_not_allowed` and an `Allow`
/// header, before routing.
///
/// The API uses GET, POST, PUT and DELETE only; without this a `CONNECT`, `PATCH` or `TRACE` on an
/// admin path would be answered as an unknown path, or reach the admin token check. Installed on
/// both listeners, beside ``ConnectClosingHandler``, which ends the connection after a `CONNECT` is
/// answered. Answers to `CONNECT` and `HEAD` carry no body (HTTP/1.1 framing), so their clients see
/// the status and the `Allow` header only.
struct MethodMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext

    /// The methods some route answers, in the order the `Allow` header lists them.
    static let answered: [HTTPRequest.Method] = [.get, .post, .put, .delete]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard Self.answered.contains(request.method) else {
            let allowed = Self.answered.map(\.rawValue).joined(separator: ", ")
            let refusal = APIError(
                .methodNotAllowed, .methodNotAllowed,
                "the API does not answer \(request.method.rawValue) requests, only \(allowed)")
            var response = try refusal.response(from: request, context: context)
            response.headers[.allow] = allowed
            return response
        }
        return try await next(request, context)
    }
}
