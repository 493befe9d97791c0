import Foundation
import Hummingbird

/// Reading the dashboard's form posts, and the checks against cross-site request forgery.
///
/// Every state-changing post carries the session's CSRF token in a hidden field, compared in
/// constant time; and a browser's `Sec-Fetch-Site` and `Origin` headers, when present, must say the
/// post came from the dashboard's own origin. Refusals are 403 `csrf_refused`.
enum DashboardForms {
    /// A form post's body limit: the dashboard's forms hold a token and a few short fields.
    static let bodyLimit = 4096
    /// The name of the hidden field that carries the CSRF token.
    static let csrfField = "csrf"

    /// The body of a `application/x-www-form-urlencoded` post: 415 `unsupported_form` for another
    /// content type, 413 `body_too_large` past ``bodyLimit``.
    ///
    /// Not generic, unlike ``decode(_:from:)``: swift-frontend 6.3.1 can crash at -O splitting a
    /// generic async function specialised into a route handler (see ``RequestBody/json(_:from:)``).
    static func body(of request: Request) async throws -> String {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            throw APIError(
                .unsupportedMediaType, .unsupportedForm,
                "dashboard forms are posted as application/x-www-form-urlencoded")
        }
        return String(decoding: try await RequestBody.bytes(of: request, limit: bodyLimit), as: UTF8.self)
    }

    /// A form body decoded as `type`; 400 `invalid_form` for one that does not decode.
    static func decode<T: Decodable>(_ type: T.Type, from body: String) throws(APIError) -> T {
        do {
            return try URLEncodedFormDecoder().decode(type, from: body)
        } catch {
            throw APIError.badRequest(.invalidForm, "the form is missing a field or has a malformed one")
        }
    }

    /// 403 `csrf_refused` unless the request comes from the dashboard's own origin as far as the
    /// browser says.
    static func checkOrigin(of request: Request) throws(APIError) {
        if let site = request.headers.value(named: "sec-fetch-site"), site != "same-origin" {
            throw refused("the form was posted from another site (Sec-Fetch-Site: \(site.prefix(32)))")
        }
        if let origin = request.headers[.origin] {
            guard let authority = request.head.authority, origin == "https://\(authority)" else {
                throw refused("the form was posted from another origin")
            }
        }
    }

    /// 403 `csrf_refused` unless `token` is the session's CSRF token and the origin checks pass.
    static func check(_ token: String?, of session: DashboardSession?, request: Request) throws(APIError) {
        try checkOrigin(of: request)
        guard let token, let session, constantTimeEqual(token, session.csrfToken) else {
            throw refused("the form's CSRF token does not match this session; reload the page and try again")
        }
    }

    /// Whether `a` and `b` are the same, in a time that depends only on their lengths.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private static func refused(_ message: String) -> APIError { APIError(.forbidden, .csrfRefused, message) }
}
