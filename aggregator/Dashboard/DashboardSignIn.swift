import Hummingbird

/// `POST /ui/sign-in`: a working admin token opens a session and sets its cookie; anything else
/// shows the sign-in page again with 401 and why.
enum DashboardSignIn {
    static func answer(_ request: Request, _ components: Components) async throws -> Response {
        try DashboardForms.checkOrigin(of: request)
        let form = try DashboardForms.decode(SignInForm.self, from: try await DashboardForms.body(of: request))
        let secret = form.token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty, secret.utf8.count <= SignInForm.maximumTokenLength else {
            return refused("paste an admin token, as starling token create-admin printed it")
        }
        let caller: AdminPrincipal
        do {
            caller = try await components.adminTokens.authenticate(secret: secret)
        } catch  where error.status == .unauthorized {
            return refused(error.message)
        }
        let opened = try await components.dashboardSessions.open(tokenId: caller.tokenId)
        return DashboardResponse.redirect(to: DashboardPath.fleet, setting: DashboardCookie.carrying(opened.id))
    }

    private static func refused(_ message: String) -> Response {
        DashboardResponse.page(SignInPage.render(message: message), status: .unauthorized)
    }
}
