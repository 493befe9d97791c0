/// The sign-in page: one field for an admin token. A token is pasted, never remembered by the
/// browser (`autocomplete="off"`); the session cookie carries the rest.
enum SignInPage {
    static func render(message: String? = nil) -> HTML {
        let error = message.map { text -> HTML in "<p class=\"error\" role=\"alert\">\(text)</p>" } ?? .empty
        return DashboardLayout.document(
            "Sign in",
            """
            <main class="signin"><h1>Starling dashboard</h1>
            \(error)<form method="post" action="\(DashboardPath.signIn)">
            <label for="token">Admin token</label>
            <input type="password" id="token" name="token" autocomplete="off" required \
            maxlength="\(SignInForm.maximumTokenLength)">
            <button type="submit">Sign in</button></form>
            <p class="muted">Any working admin token signs in. Viewers read; operators also steer rollouts.</p>
            </main>
            """)
    }
}

/// The sign-in form's fields.
struct SignInForm: Decodable {
    /// Longer text is no admin token, and is refused before it is hashed.
    static let maximumTokenLength = 256
    let token: String
}

/// The field of every form that only proves it came from the session's own page; a form without
/// it is refused like one with a wrong token.
struct CSRFForm: Decodable {
    let csrf: String?
}
