import Foundation
import XCTest

/// A browser of the dashboard for tests: plain HTTP/1.1 over TLS (``RawTLSExchange``) so every
/// status, header and cookie is visible, with the session cookie kept between requests and redirects
/// never followed.
struct DashboardBrowser {
    let url: String
    /// `host:port` of the aggregator, as the `Host` header names it.
    let authority: String
    let caPEM: String
    /// The value of the session cookie, once a sign-in set one.
    var session: String?

    init(_ aggregator: TestAggregator) {
        url = aggregator.endpoints.url
        authority = aggregator.authority
        caPEM = aggregator.caPEM
    }

    func get(_ path: String) async throws -> DashboardAnswer {
        try await send("GET", path, body: nil, headers: [])
    }

    /// Posts `fields` as a form, with `Origin` of the dashboard itself (an empty `Origin` in `headers`
    /// stands for it) and the form content type unless `headers` names another.
    func post(
        _ path: String, _ fields: [(String, String)], headers: [(String, String)] = [("Origin", "")]
    ) async throws -> DashboardAnswer {
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        let sent = headers.map { name, value in
            (name, name == "Origin" && value.isEmpty ? "https://\(authority)" : value)
        }
        let type =
            sent.contains { $0.0 == "Content-Type" } ? [] : [("Content-Type", "application/x-www-form-urlencoded")]
        return try await send("POST", path, body: body, headers: type + sent)
    }

    /// Signs in with `token` and keeps the session cookie it gets.
    @discardableResult
    mutating func signIn(_ token: String) async throws -> DashboardAnswer {
        let answer = try await post("/ui/sign-in", [("token", token)])
        if let cookie = answer.cookie("starling_session") { session = cookie.value }
        return answer
    }

    /// The CSRF token in the hidden field of the page at `path`.
    func csrfToken(on path: String) async throws -> String {
        let page = try await get(path)
        let marker = "name=\"csrf\" value=\""
        let start = try XCTUnwrap(page.body.range(of: marker), "no CSRF field on \(path)").upperBound
        return String(page.body[start...].prefix { $0 != "\"" })
    }

    private func send(
        _ method: String, _ path: String, body: String?, headers: [(String, String)]
    ) async throws -> DashboardAnswer {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: \(authority)", "Connection: close"]
        lines += headers.map { "\($0.0): \($0.1)" }
        if let session { lines.append("Cookie: starling_session=\(session)") }
        if let body { lines.append("Content-Length: \(body.utf8.count)") }
        let request = lines.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? "")
        let exchange = try await RawTLSExchange.send(request, to: url, caPEM: caPEM)
        return try DashboardAnswer(parsing: exchange.received)
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}

/// One answer of the aggregator to a ``DashboardBrowser``.
struct DashboardAnswer {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    init(parsing text: String) throws {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let statusLine = head[0].split(separator: " ")
        status = try XCTUnwrap(statusLine.count > 1 ? Int(statusLine[1]) : nil, "no status in \(head[0])")
        headers = head.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (
                String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            )
        }
        body = parts.dropFirst().joined(separator: "\r\n\r\n")
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The `Set-Cookie` header setting `name`: its value and its attributes, lowercased.
    func cookie(_ name: String) -> (value: String, attributes: [String])? {
        for header in headers where header.name.lowercased() == "set-cookie" {
            let parts = header.value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = parts.first, first.hasPrefix(name + "=") else { continue }
            return (String(first.dropFirst(name.count + 1)), parts.dropFirst().map { $0.lowercased() })
        }
        return nil
    }
}
