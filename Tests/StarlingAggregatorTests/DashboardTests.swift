import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// The web dashboard through a real aggregator over TLS: sign-in and its cookie, pages showing the
/// fleet, rounds, models and rollouts with user text escaped, buttons for operators only, a button
/// that pauses a rollout as the admin API would, and the refusals: CSRF, revoked tokens, unknown
/// sessions; and a session that outlives the aggregator's restart.
final class DashboardTests: XCTestCase {
    private var aggregator: TestAggregator!
    private var callers: AdminCallers!
    private var device: TestDevice!

    override func setUp() async throws {
        aggregator = try await TestAggregator.start()
        callers = try await AdminCallers.make(on: aggregator, for: self)
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels,
            json: CreateModelRequest(
                name: "m", architecture: "4-2", labels: ["<img src=x onerror=alert(1)>", "ok"], seed: 1))
        device = try await aggregator.enroll(tags: [Tag(key: "zone", value: "lab")])
    }

    override func tearDown() async throws {
        await device.client.shutdown()
        try await aggregator.stop()
    }

    private func browser(_ role: AdminRole) async throws -> DashboardBrowser {
        var browser = DashboardBrowser(aggregator)
        let answer = try await browser.signIn(try XCTUnwrap(callers.tokens[role]).token)
        XCTAssertEqual(answer.status, 303)
        return browser
    }

    /// A canary deployment of m@1 to zone=lab that stays in its first wave.
    private func deploy() async throws -> DeploymentInfo {
        try await aggregator.admin.post(
            APIPath.adminDeployments,
            json: CreateDeploymentRequest(
                model: "m", version: 1, selector: .tags([Tag(key: "zone", value: "lab")]), strategy: .canary,
                waves: [50, 100], bakeSeconds: 3600))
    }

    func test_signIn_withWorkingToken_setsStrictSecureHttpOnlySessionCookie() async throws {
        var browser = DashboardBrowser(aggregator)
        let answer = try await browser.signIn(try XCTUnwrap(callers.tokens[.viewer]).token)
        XCTAssertEqual(answer.status, 303)
        XCTAssertEqual(answer.header("Location"), "/ui/")
        let cookie = try XCTUnwrap(answer.cookie("starling_session"))
        XCTAssertGreaterThanOrEqual(cookie.value.count, 40)
        for attribute in ["httponly", "secure", "samesite=strict", "path=/ui"] {
            XCTAssertTrue(cookie.attributes.contains(attribute), "\(attribute) missing from \(cookie.attributes)")
        }
        let fleet = try await browser.get("/ui/")
        XCTAssertEqual(fleet.status, 200)
        XCTAssertTrue(fleet.body.contains("<h1>Fleet</h1>"))
        XCTAssertEqual(fleet.header("Cache-Control"), "no-store")
        XCTAssertTrue(fleet.header("Content-Security-Policy")?.contains("default-src 'none'") ?? false)
    }

    func test_signIn_withUnknownEmptyOrOverlongToken_showsTheSignInPageWith401() async throws {
        var browser = DashboardBrowser(aggregator)
        for token in ["stk_not-a-token", "", String(repeating: "a", count: 300)] {
            let answer = try await browser.signIn(token)
            XCTAssertEqual(answer.status, 401, "token of \(token.count) characters")
            XCTAssertNil(answer.cookie("starling_session"))
            XCTAssertTrue(answer.body.contains("action=\"/ui/sign-in\""))
        }
        let oversized = try await browser.post("/ui/sign-in", [("token", String(repeating: "a", count: 5000))])
        XCTAssertEqual(oversized.status, 413)
    }

    func test_signIn_postedFromAnotherSite_isRefused() async throws {
        let browser = DashboardBrowser(aggregator)
        let token = try XCTUnwrap(callers.tokens[.viewer]).token
        let crossOrigin = try await browser.post(
            "/ui/sign-in", [("token", token)], headers: [("Origin", "https://evil.example")])
        XCTAssertEqual(crossOrigin.status, 403)
        let crossSite = try await browser.post(
            "/ui/sign-in", [("token", token)], headers: [("Sec-Fetch-Site", "cross-site")])
        XCTAssertEqual(crossSite.status, 403)
        XCTAssertNil(crossSite.cookie("starling_session"))
    }

    func test_pages_withoutOrWithUnknownSession_redirectToSignIn() async throws {
        var browser = DashboardBrowser(aggregator)
        for session in [nil, "expired-or-never-issued", String(repeating: "x", count: 500)] {
            browser.session = session
            for path in ["/ui/", "/ui/runs", "/ui/models", "/ui/rollouts"] {
                let answer = try await browser.get(path)
                XCTAssertEqual(answer.status, 303, path)
                XCTAssertEqual(answer.header("Location"), "/ui/sign-in", path)
            }
        }
        let signIn = try await browser.get("/ui/sign-in")
        XCTAssertEqual(signIn.status, 200)
    }

    func test_fleetPage_showsDevicesWithTagsAndState_andEscapesARevocationReason() async throws {
        let revoked = try await aggregator.enroll(tags: [Tag(key: "zone", value: "field")])
        await revoked.client.shutdown()
        let _: DeviceInfo = try await aggregator.admin.post(
            APIPath.adminDeviceRevocation(id: revoked.id),
            json: RevokeDeviceRequest(reason: "<script>alert('stolen')</script>"))
        let page = try await browser(.viewer).get("/ui/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(device.id))
        XCTAssertTrue(page.body.contains("zone=lab"))
        XCTAssertTrue(page.body.contains(revoked.id))
        XCTAssertTrue(page.body.contains("&lt;script&gt;alert(&#39;stolen&#39;)&lt;/script&gt;"))
        XCTAssertFalse(page.body.contains("<script"))
    }

    func test_enrollment_withAScriptTag_isRefused_soNoTagReachesThePageAsMarkup() async throws {
        await assertAPIError(status: 400, code: "invalid_request") {
            try await self.aggregator.enroll(tags: [Tag(key: "<script>alert(1)</script>", value: "x")])
        }
        let page = try await browser(.viewer).get("/ui/")
        XCTAssertFalse(page.body.contains("<script"))
    }

    func test_modelsPage_showsVersionsWithSignature_andEscapesLabels() async throws {
        let page = try await browser(.viewer).get("/ui/models")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("<h2>m</h2>"))
        XCTAssertTrue(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"))
        XCTAssertFalse(page.body.contains("<img"))
        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "m"))
        let version = try XCTUnwrap(versions.versions.first)
        XCTAssertTrue(page.body.contains(version.signature))
        XCTAssertTrue(page.body.contains(version.sha256))
    }

    func test_roundsPage_showsARunAndItsProgress() async throws {
        _ = try await device.watch()
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(model: "m", clients: 1, minClients: 1, rounds: 3, seed: 1, secureAggregation: false)
        )
        let page = try await browser(.viewer).get("/ui/runs")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(run.id))
        XCTAssertTrue(page.body.contains("of 3"))
        XCTAssertTrue(page.body.contains("http-equiv=\"refresh\""))
    }

    func test_roundsPage_chartsTheAccuracyOfEachRound_withTheValuesWrittenOnTheChart() async throws {
        _ = try await device.watch()
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "m", clients: 1, minClients: 1, rounds: 2, deadlineSeconds: 30, seed: 1,
                secureAggregation: false))
        let architecture = try ModelArchitecture(parsing: "4-2")
        for (round, accuracy) in [(1, 0.625), (2, 0.875)] {
            var task = try await device.nextTask()
            while task.round < round { task = try await device.nextTask() }
            let _: UpdateReceipt = try await device.client.post(
                APIPath.deviceUpdate(runId: run.id, round: round),
                bytes: UpdateBody.make(architecture, value: 0.01, evalAccuracy: accuracy))
        }
        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let page = try await browser(.viewer).get("/ui/runs")
        XCTAssertTrue(page.body.contains("2 of 2 rounds completed"))
        XCTAssertTrue(page.body.contains(">evaluation accuracy</text>"))
        XCTAssertTrue(page.body.contains(">0.625</text>"))
        XCTAssertTrue(page.body.contains(">0.875</text>"))
        XCTAssertTrue(page.body.contains(">training loss</text>"))
        XCTAssertFalse(page.body.contains("http-equiv=\"refresh\""), "nothing is live any more")
    }

    func test_viewer_seesRolloutsButNoButtonThatChangesThem() async throws {
        let deployment = try await deploy()
        let page = try await browser(.viewer).get("/ui/rollouts")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(deployment.id))
        XCTAssertFalse(page.body.contains("action=\"/ui/rollouts/"))
        // The one form is sign-out's.
        XCTAssertEqual(page.body.components(separatedBy: "<form").count - 1, 1)
        XCTAssertEqual(page.body.components(separatedBy: "<button").count - 1, 1)
    }

    func test_operator_pressesPause_andTheRolloutIsPausedAndAudited() async throws {
        let deployment = try await deploy()
        let browser = try await browser(.operator)
        let page = try await browser.get("/ui/rollouts")
        XCTAssertTrue(page.body.contains("action=\"/ui/rollouts/\(deployment.id)/pause\""))
        let csrf = try await browser.csrfToken(on: "/ui/rollouts")
        let pressed = try await browser.post("/ui/rollouts/\(deployment.id)/pause", [("csrf", csrf)])
        XCTAssertEqual(pressed.status, 303)
        XCTAssertEqual(pressed.header("Location"), "/ui/rollouts")
        let info: DeploymentInfo = try await aggregator.admin.get(APIPath.adminDeployment(id: deployment.id))
        XCTAssertEqual(info.state, .paused)
        let audit: AuditEventList = try await aggregator.admin.get(APIPath.adminAudit)
        let event = try XCTUnwrap(audit.events.first { $0.route == "/v1/admin/deployments/:id/:action" })
        XCTAssertEqual(event.tokenId, try XCTUnwrap(callers.tokens[.operator]).info.id)
        XCTAssertEqual(event.status, 200)
        let history = try await browser.get("/ui/rollouts/\(deployment.id)")
        XCTAssertEqual(history.status, 200)
        XCTAssertTrue(history.body.contains("action=\"/ui/rollouts/\(deployment.id)/resume\""))
        let events: DeploymentEventList = try await aggregator.admin.get(
            APIPath.adminDeploymentEvents(id: deployment.id))
        XCTAssertFalse(events.events.isEmpty)
        for event in events.events { XCTAssertTrue(history.body.contains(HTML.escape(event.message)), event.message) }
    }

    func test_actions_withMissingOrWrongCSRFTokenOrFromAnotherSite_are403AndChangeNothing() async throws {
        let deployment = try await deploy()
        let browser = try await browser(.operator)
        let csrf = try await browser.csrfToken(on: "/ui/rollouts")
        let path = "/ui/rollouts/\(deployment.id)/pause"
        let missing = try await browser.post(path, [])
        XCTAssertEqual(missing.status, 403)
        let wrong = try await browser.post(path, [("csrf", String(csrf.reversed()))])
        XCTAssertEqual(wrong.status, 403)
        let crossOrigin = try await browser.post(path, [("csrf", csrf)], headers: [("Origin", "https://evil.example")])
        XCTAssertEqual(crossOrigin.status, 403)
        let crossSite = try await browser.post(path, [("csrf", csrf)], headers: [("Sec-Fetch-Site", "same-site")])
        XCTAssertEqual(crossSite.status, 403)
        let info: DeploymentInfo = try await aggregator.admin.get(APIPath.adminDeployment(id: deployment.id))
        XCTAssertEqual(info.state, .running)
    }

    func test_viewer_postingAnAction_isRefused403ByTheAdminRole() async throws {
        let deployment = try await deploy()
        let browser = try await browser(.viewer)
        let csrf = try await browser.csrfToken(on: "/ui/rollouts")
        let answer = try await browser.post("/ui/rollouts/\(deployment.id)/pause", [("csrf", csrf)])
        XCTAssertEqual(answer.status, 403)
        XCTAssertTrue(answer.body.contains("insufficient_role"))
        let info: DeploymentInfo = try await aggregator.admin.get(APIPath.adminDeployment(id: deployment.id))
        XCTAssertEqual(info.state, .running)
    }

    func test_session_ofARevokedToken_isSentToSignIn() async throws {
        let browser = try await browser(.operator)
        let page = try await browser.get("/ui/")
        XCTAssertEqual(page.status, 200)
        let _: AdminTokenInfo = try await aggregator.admin.post(
            APIPath.adminTokenRevocation(id: try XCTUnwrap(callers.tokens[.operator]).info.id), json: [String: String]()
        )
        let after = try await browser.get("/ui/")
        XCTAssertEqual(after.status, 303)
        XCTAssertEqual(after.header("Location"), "/ui/sign-in")
        XCTAssertEqual(after.cookie("starling_session")?.value, "")
    }

    func test_session_ofATokenThatExpires_isSentToSignIn() async throws {
        let created: CreatedAdminToken = try await aggregator.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: "operator", ttlSeconds: 1))
        var browser = DashboardBrowser(aggregator)
        try await browser.signIn(created.token)
        let answer = try await Wait.until("the session to end", timeout: .seconds(10), interval: .milliseconds(100)) {
            guard let answer = try? await browser.get("/ui/"), answer.status != 200 else {
                return nil as DashboardAnswer?
            }
            return answer
        }
        XCTAssertEqual(answer.status, 303)
        XCTAssertEqual(answer.header("Location"), "/ui/sign-in")
        let again = try await browser.signIn(created.token)
        XCTAssertEqual(again.status, 401)
        XCTAssertTrue(again.body.contains("expired"))
    }

    func test_formsThatAreNotFormsOrDoNotDecode_get4xxPages() async throws {
        let browser = try await browser(.operator)
        let deployment = try await deploy()
        let path = "/ui/rollouts/\(deployment.id)/pause"
        let json = try await browser.post(path, [], headers: [("Content-Type", "application/json"), ("Origin", "")])
        XCTAssertEqual(json.status, 415)
        let oversized = try await browser.post(path, [("csrf", String(repeating: "a", count: 5000))])
        XCTAssertEqual(oversized.status, 413)
        let csrf = try await browser.csrfToken(on: "/ui/rollouts")
        let unknownAction = try await browser.post("/ui/rollouts/\(deployment.id)/explode", [("csrf", csrf)])
        XCTAssertEqual(unknownAction.status, 400)
        let unknownDeployment = try await browser.post("/ui/rollouts/dep-missing/pause", [("csrf", csrf)])
        XCTAssertEqual(unknownDeployment.status, 404)
        XCTAssertTrue(unknownDeployment.header("Content-Type")?.hasPrefix("text/html") ?? false)
    }

    func test_signOut_endsTheSession() async throws {
        let browser = try await browser(.viewer)
        let csrf = try await browser.csrfToken(on: "/ui/")
        let answer = try await browser.post("/ui/sign-out", [("csrf", csrf)])
        XCTAssertEqual(answer.status, 303)
        XCTAssertEqual(answer.header("Location"), "/ui/sign-in")
        let after = try await browser.get("/ui/")
        XCTAssertEqual(after.status, 303)
    }

    func test_session_outlivesTheAggregatorsRestart() async throws {
        let signedIn = try await browser(.viewer)
        let before = try await signedIn.get("/ui/")
        XCTAssertEqual(before.status, 200)
        try await aggregator.stop(removingFolder: false)
        aggregator = try await TestAggregator.start(folder: aggregator.folder)
        var restarted = DashboardBrowser(aggregator)
        restarted.session = signedIn.session
        let after = try await restarted.get("/ui/")
        XCTAssertEqual(after.status, 200, "the session is in the database, not in the process that opened it")
        XCTAssertTrue(after.body.contains("<h1>Fleet</h1>"))
    }

    func test_stylesheet_isServedFromTheBinary() async throws {
        let answer = try await DashboardBrowser(aggregator).get("/ui/style.css")
        XCTAssertEqual(answer.status, 200)
        XCTAssertTrue(answer.header("Content-Type")?.hasPrefix("text/css") ?? false)
        XCTAssertTrue(answer.body.contains("svg.chart"))
    }
}
