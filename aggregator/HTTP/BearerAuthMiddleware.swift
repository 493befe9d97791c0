import GRDB
import Hummingbird

/// Admits a request only with `Authorization: Bearer <token>` naming a registered token (looked up
/// by its SHA-256) whose role is one of `admits`; anything else is 401 `unauthorized`. Each group of
/// routes names the roles it admits.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let pool: DatabasePool
    let admits: Set<TokenRole>

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError.unauthorized
        }
        let hash = Secrets.hash(secret: String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        let role = try await pool.reading { db in try AdminTokenRecord.fetchOne(db, key: hash)?.role }
        guard let role = role.flatMap(TokenRole.init(rawValue:)), admits.contains(role) else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }
}
