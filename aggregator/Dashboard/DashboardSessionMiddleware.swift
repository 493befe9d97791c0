import Hummingbird

/// Admits a dashboard request only with the cookie of a live session whose admin token still works,
/// and names the caller in the context as ``AdminAuthMiddleware`` does for the API, so
/// ``AdminGate`` checks the same role. Anything else (no cookie, an unknown or expired session, a
/// revoked or expired token) is sent to the sign-in page, and a session whose token stopped working
/// is ended.
struct DashboardSessionMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let sessions: DashboardSessions
    let tokens: AdminTokens

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let id = DashboardCookie.sessionID(of: request), let session = try await sessions.use(id: id) else {
            return DashboardResponse.redirect(to: DashboardPath.signIn, clearingSession: true)
        }
        guard let caller = try await caller(of: session) else {
            try await sessions.close(id: id)
            return DashboardResponse.redirect(to: DashboardPath.signIn, clearingSession: true)
        }
        var context = context
        context.admin = caller
        context.dashboardSession = session
        return try await next(request, context)
    }

    /// The session's caller, or nil when its token no longer works.
    private func caller(of session: DashboardSession) async throws(APIError) -> AdminPrincipal? {
        do {
            return try await tokens.principal(id: session.tokenId)
        } catch {
            guard error.status == .unauthorized else { throw error }
            return nil
        }
    }
}
