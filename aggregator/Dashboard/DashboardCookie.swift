import Hummingbird

/// The session cookie: readable by the aggregator only (`HttpOnly`), sent over TLS only (`Secure`),
/// never on a request another site starts (`SameSite=Strict`), and only under `/ui`.
enum DashboardCookie {
    static let name = "starling_session"
    /// Longer values are not session ids and are not looked up.
    static let maximumLength = 128

    /// The cookie that carries session `id`.
    static func carrying(_ id: String) -> Cookie {
        Cookie(
            name: name, value: id, maxAge: Int(DashboardSessions.absoluteLifetime), path: DashboardPath.root,
            secure: true, httpOnly: true, sameSite: .strict)
    }

    /// The cookie that makes the browser forget the session.
    static let cleared = Cookie(
        name: name, value: "", maxAge: 0, path: DashboardPath.root, secure: true, httpOnly: true, sameSite: .strict)

    /// The session id the request carries, if it has a plausible one.
    static func sessionID(of request: Request) -> String? {
        guard let value = request.cookies[name]?.value, !value.isEmpty, value.utf8.count <= maximumLength else {
            return nil
        }
        return value
    }
}
