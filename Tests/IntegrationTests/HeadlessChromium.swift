import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StarlingAdmin
import StarlingTestSupport
import StarlingTransport
import XCTest

/// Debian's `chromium`, headless, driven through `chromedriver`'s W3C WebDriver API on loopback:
/// a real browser for end-to-end tests of the dashboard, with its own profile folder, cookies,
/// CSRF-carrying forms and `Sec-Fetch-*`/`Origin` headers exactly as operators' browsers send them.
///
/// The aggregator's certificate comes from a CA generated for the test, which the browser has never
/// seen; the session accepts it (`acceptInsecureCerts`), as a browser would after an operator
/// trusted that CA.
final class HeadlessChromium: Sendable {
    private let driver: ManagedProcess
    private let client: WebDriverClient
    private let session: String

    /// The element reference key of the WebDriver protocol.
    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Starts `chromedriver` on a port the system picks and opens a browser session with a fresh
    /// profile in `folder`; the browser and the driver stop when `test` ends.
    static func start(in folder: URL, for test: XCTestCase) async throws -> HeadlessChromium {
        guard let driverPath = findExecutable(named: "chromedriver"),
            let browserPath = findExecutable(named: "chromium")
        else {
            throw WebDriverError(
                command: "start", error: "chromium is not installed",
                message: "`make test` installs it (Debian packages chromium and chromium-driver)")
        }
        let log = folder.appendingPathComponent("chromedriver.log")
        let driver = try ManagedProcess(
            name: "chromedriver", executable: driverPath, arguments: ["--port=0"], logFile: log)
        let port = try await Wait.until("chromedriver to listen (log: \(log.path))", timeout: .seconds(30)) {
            guard driver.isRunning else { return nil as Int? }
            return listeningPort(in: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
        let client = WebDriverClient(baseURL: "http://127.0.0.1:\(port)")
        let profile = folder.appendingPathComponent("chromium-profile")
        let capabilities = NewSession(
            capabilities: .init(
                alwaysMatch: .init(
                    browserName: "chrome", acceptInsecureCerts: true,
                    chromeOptions: .init(
                        binary: browserPath.path,
                        args: [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--no-first-run", "--window-size=1280,900", "--user-data-dir=\(profile.path)",
                        ]))))
        let answer: JSONValue
        do {
            answer = try await client.send(.POST, "/session", capabilities, timeout: .seconds(60))
        } catch {
            await client.shutdown()
            _ = await driver.terminate()
            throw error
        }
        let browser = HeadlessChromium(
            driver: driver, client: client, session: try XCTUnwrap(answer["sessionId"]?.string))
        test.addTeardownBlock { await browser.quit() }
        return browser
    }

    private init(driver: ManagedProcess, client: WebDriverClient, session: String) {
        self.driver = driver
        self.client = client
        self.session = session
    }

    /// Loads `url` and returns once the page has loaded.
    func open(_ url: String) async throws {
        _ = try await client.send(.POST, path("url"), ["url": url])
    }

    /// The address of the page shown now (after any redirects).
    func currentURL() async throws -> String {
        let answer = try await client.send(.GET, path("url"))
        return try XCTUnwrap(answer.string)
    }

    /// The page's visible text, as a reader sees it (markup rendered, entities decoded).
    func visibleText() async throws -> String {
        let answer = try await run("return document.body.innerText;")
        return try XCTUnwrap(answer.string)
    }

    /// The page's title.
    func title() async throws -> String {
        let answer = try await run("return document.title;")
        return try XCTUnwrap(answer.string)
    }

    /// How many elements match the CSS `selector`.
    func count(_ selector: String) async throws -> Int {
        let answer = try await client.send(.POST, path("elements"), ["using": "css selector", "value": selector])
        return try XCTUnwrap(answer.array).count
    }

    /// Types `text` into the element matching `selector`, as keystrokes.
    func type(_ text: String, into selector: String) async throws {
        let target = try await element(selector)
        _ = try await client.send(.POST, path("element/\(target)/value"), ["text": text])
    }

    /// Clicks the element matching `selector`, the way a user would (it must be visible).
    func click(_ selector: String) async throws {
        let target = try await element(selector)
        _ = try await client.send(.POST, path("element/\(target)/click"), [String: String]())
    }

    /// Waits until the page shown is `expected` (a path on the aggregator) and its text
    /// contains every string of `texts`; returns the text.
    @discardableResult
    func waitForPage(
        _ expected: String, containing texts: [String] = [], timeout: Duration = .seconds(30)
    ) async throws -> String {
        do {
            return try await Wait.until(
                "the page \(expected) showing \(texts)", timeout: timeout, interval: .milliseconds(100)
            ) {
                guard let url = try? await self.currentURL(), URLComponents(string: url)?.path == expected,
                    let text = try? await self.visibleText(), texts.allSatisfy(text.contains)
                else { return nil as String? }
                return text
            }
        } catch {
            let shown = (try? await currentURL()) ?? "?"
            let text = (try? await visibleText()) ?? ""
            XCTFail("\(error); the browser shows \(shown): \(text.prefix(600))")
            throw error
        }
    }

    /// Saves a PNG of the browser's window to `file`.
    func screenshot(to file: URL) async throws {
        let answer = try await client.send(.GET, path("screenshot"))
        let png = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(answer.string)))
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try png.write(to: file)
    }

    /// Ends the session (closing the browser) and stops the driver.
    func quit() async {
        _ = try? await client.send(.DELETE, "/session/\(session)", timeout: .seconds(30))
        await client.shutdown()
        _ = await driver.terminate()
    }

    private func element(_ selector: String) async throws -> String {
        let answer = try await client.send(.POST, path("element"), ["using": "css selector", "value": selector])
        return try XCTUnwrap(answer[Self.elementKey]?.string, "no element matches \(selector)")
    }

    private func run(_ script: String) async throws -> JSONValue {
        try await client.send(.POST, path("execute/sync"), Script(script: script))
    }

    private func path(_ command: String) -> String { "/session/\(session)/\(command)" }

    /// The port in chromedriver's "started successfully on port N." line.
    private static func listeningPort(in log: String) -> Int? {
        let marker = "started successfully on port "
        guard let start = log.range(of: marker)?.upperBound else { return nil }
        return Int(log[start...].prefix { $0.isNumber })
    }
}

/// JSON over HTTP to chromedriver. Every WebDriver answer is `{"value": …}`; errors carry
/// `value.error` and `value.message`, which ``WebDriverError`` keeps.
private struct WebDriverClient: Sendable {
    let baseURL: String
    private let client = HTTPClient(eventLoopGroupProvider: .singleton)

    init(baseURL: String) { self.baseURL = baseURL }

    func send(_ method: HTTPMethod, _ path: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        try await send(method, path, nil as [String: String]?, timeout: timeout)
    }

    func send(
        _ method: HTTPMethod, _ path: String, _ body: (some Encodable)?, timeout: Duration = .seconds(30)
    ) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response = try await client.execute(request, timeout: TimeAmount(timeout))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let value = try JSONValue.parse(bytes.readableBytesView)["value"] ?? .null
        guard response.status.code < 300 else {
            throw WebDriverError(
                command: "\(method.rawValue) \(path)", error: value["error"]?.string ?? "\(response.status)",
                message: value["message"]?.string ?? "")
        }
        return value
    }

    func shutdown() async { try? await client.shutdown() }
}

/// A command chromedriver refused, with its W3C error code (`no such element`, …) and message.
struct WebDriverError: Error, CustomStringConvertible {
    let command: String
    let error: String
    let message: String

    var description: String { "\(command): \(error): \(message.prefix(300))" }
}

/// The body of `POST /session`.
private struct NewSession: Encodable, Sendable {
    struct Capabilities: Encodable, Sendable {
        let alwaysMatch: Browser
    }

    struct Browser: Encodable, Sendable {
        let browserName: String
        let acceptInsecureCerts: Bool
        let chromeOptions: ChromeOptions

        enum CodingKeys: String, CodingKey {
            case browserName, acceptInsecureCerts
            case chromeOptions = "goog:chromeOptions"
        }
    }

    struct ChromeOptions: Encodable, Sendable {
        let binary: String
        let args: [String]
    }

    let capabilities: Capabilities
}

/// The body of `POST /session/{id}/execute/sync`.
private struct Script: Encodable, Sendable {
    let script: String
    var args: [String] = []
}
