import Foundation

/// One signed-in browser: the admin token it signed in with (by id, never its secret) and the
/// secret its forms carry against cross-site request forgery.
struct DashboardSession: Sendable, Equatable {
    /// The token the session acts for; its role is looked up again on every request.
    let tokenId: String
    /// The hidden field every state-changing form posts back (see ``DashboardForms``).
    let csrfToken: String
    let createdAt: Date
    var lastUsedAt: Date
}
