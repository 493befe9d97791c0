import Hummingbird

/// Shows the dashboard's refusals as pages rather than JSON: a 401 sends the browser to sign in,
/// any other ``APIError`` or routing error is a page with its status and sentence. Unexpected
/// errors still reach ``ErrorBodyMiddleware``, which logs them.
struct DashboardErrorMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return Self.page(error)
        } catch let error as HTTPError {
            return Self.page(ErrorBodyMiddleware.apiError(error))
        }
    }

    private static func page(_ error: APIError) -> Response {
        if error.status == .unauthorized {
            return DashboardResponse.redirect(to: DashboardPath.signIn, clearingSession: true)
        }
        return DashboardResponse.page(
            DashboardLayout.document(
                "Refused",
                """
                <main class="signin"><h1>\(error.status.code) \(error.status.reasonPhrase)</h1>
                <p class="error">\(error.message)</p>
                <p class="muted">code <code>\(error.code.rawValue)</code> · <a href="\(DashboardPath.fleet)">back to the dashboard</a></p>
                </main>
                """),
            status: error.status)
    }
}
