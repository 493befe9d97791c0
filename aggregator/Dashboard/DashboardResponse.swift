import Hummingbird

/// The dashboard's answers: pages and redirects, each with headers that keep a browser from
/// caching them, sniffing them, framing them or running anything in them (the dashboard has no
/// scripts, so its policy admits none).
enum DashboardResponse {
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
            + "base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .cacheControl: "no-store",
    ]

    /// `html` as a page with `status`.
    static func page(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html.markup)))
    }

    /// 303 to `path`, which the browser then loads with GET; optionally setting or clearing the
    /// session cookie.
    static func redirect(to path: String, setting cookie: Cookie? = nil, clearingSession: Bool = false) -> Response {
        var headers = securityHeaders
        headers[.location] = path
        var response = Response(status: .seeOther, headers: headers)
        if let cookie { response.setCookie(cookie) }
        if clearingSession { response.setCookie(DashboardCookie.cleared) }
        return response
    }
}
