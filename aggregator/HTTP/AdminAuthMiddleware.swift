import GRDB
import Hummingbird

/// Admits a request only with `Authorization: Bearer <token>` naming a registered admin token
/// (looked up by its SHA-256); anything else is 401 `unauthorized`.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let pool: DatabasePool

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError.unauthorized
        }
        let hash = Secrets.hash(secret: String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        guard try await pool.reading({ db in try AdminTokenRecord.exists(db, key: hash) }) else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }
}
