import Hummingbird

/// Admits a request only with `Authorization: Bearer <token>` naming a working admin token, and
/// names the caller in the context for ``AdminGate``. No or an unknown token is 401 `unauthorized`;
/// a revoked or expired one is 401 `token_revoked` or `token_expired` (see ``AdminTokens``).
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let tokens: AdminTokens

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError.unauthorized
        }
        let secret = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        var context = context
        context.admin = try await tokens.authenticate(secret: secret)
        return try await next(request, context)
    }
}
