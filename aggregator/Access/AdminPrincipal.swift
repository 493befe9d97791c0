import StarlingProtocol

/// Who an admin call comes from: the token that ``AdminAuthMiddleware`` authenticated, by id
/// (never its secret), and that token's role.
struct AdminPrincipal: Sendable, Equatable {
    let tokenId: String
    let role: AdminRole
}
