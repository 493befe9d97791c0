import Foundation

/// The frame every signed-in page shares: the title, the navigation, who is signed in and the
/// sign-out button.
enum DashboardLayout {
    static let sections: [(path: String, name: String)] = [
        (DashboardPath.fleet, "Fleet"), (DashboardPath.runs, "Runs"), (DashboardPath.models, "Models"),
        (DashboardPath.rollouts, "Rollouts"),
    ]

    /// A whole page; `refresh` reloads it every that many seconds, for live progress without scripts.
    static func page(
        _ title: String, at path: String, caller: AdminPrincipal, csrfToken: String, refresh: Int? = nil,
        _ content: HTML
    ) -> HTML {
        let navigation = HTML(
            joining: sections.map { section -> HTML in
                section.path == path
                    ? "<a href=\"\(section.path)\" aria-current=\"page\">\(section.name)</a>"
                    : "<a href=\"\(section.path)\">\(section.name)</a>"
            })
        let signOut: HTML = """
            <form method="post" action="\(DashboardPath.signOut)" class="inline">\
            \(hiddenCSRF(csrfToken))<button type="submit">Sign out</button></form>
            """
        return document(
            title, refresh: refresh,
            """
            <header><strong>Starling</strong><nav>\(navigation)</nav>\
            <span class="who">\(caller.tokenId) · \(caller.role.rawValue) \(signOut)</span></header>
            <main><h1>\(title)</h1>
            \(content)</main>
            """)
    }

    /// The HTML document around `body`.
    static func document(_ title: String, refresh: Int? = nil, _ body: HTML) -> HTML {
        let reload = refresh.map { seconds -> HTML in "<meta http-equiv=\"refresh\" content=\"\(seconds)\">" } ?? .empty
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width, initial-scale=1">\(reload)\
            <title>\(title) · Starling</title><link rel="stylesheet" href="\(DashboardPath.style)"></head>
            <body>\(body)</body></html>
            """
    }

    /// The hidden field that carries the session's CSRF token in a form.
    static func hiddenCSRF(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"\(DashboardForms.csrfField)\" value=\"\(token)\">"
    }

    /// A time as the pages show it, in UTC to the second; "never" for nil.
    static func time(_ date: Date?) -> String {
        guard let date else { return "never" }
        return date.ISO8601Format()
    }

    /// A number with `digits` decimals and a point whatever the locale, or "—" for nil.
    static func number(_ value: Double?, digits: Int = 3) -> String {
        guard let value else { return "—" }
        return String(format: "%.\(digits)f", value)
    }
}
