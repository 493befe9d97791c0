import Foundation
import StarlingAdmin
import StarlingProtocol
import StarlingTransport
import XCTest

/// The dashboard in a real browser: headless chromium against a real aggregator with real agent
/// processes that enrolled and trained. An operator signs in with a token, each page shows the fleet,
/// the run, the registry and the rollout as the admin API reports them, the pause button pauses the
/// rollout (checked through the `starling` CLI), and revoking the token sends the browser back to
/// sign-in.
///
/// The test saves a screenshot of every page in `.build/screenshots/`, or in the folder
/// `STARLING_SCREENSHOT_DIR` names (`make screenshots` writes the ones under `docs/dashboard/`).
final class DashboardInChromiumTests: XCTestCase {
    private static let screenshots =
        ProcessInfo.processInfo.environment["STARLING_SCREENSHOT_DIR"]
        .map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/screenshots")

    func test_operator_signsIn_seesTheRealFleetRunModelsAndRollout_pausesIt_andIsSignedOutByRevocation() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = aggregator.admin
        try await aggregator.startAgents(4, rows: 200)
        // As `make demo` does: a feature profile collected under secure aggregation, a model whose
        // preprocessing comes from it, and a secure run of three rounds with the default settings.
        let statistics = try await admin.collectStatistics(
            CollectStatisticsRequest(name: "digits", width: 64, minDevices: 4, deadlineSeconds: 60, seed: 7))
        let profiled = try await finished(statistics.id, admin)
        XCTAssertEqual(profiled.state, .completed, profiled.failureReason ?? "")
        _ = try await admin.createModel(
            CreateModelRequest(name: "digits", architecture: "64-32-10", seed: 2, profile: "digits"))
        let run = try await admin.startRun(
            StartRunRequest(model: "digits", clients: 4, minClients: 4, rounds: 3, deadlineSeconds: 60, seed: 7))
        let trainedRun = try await finished(run.id, admin)
        XCTAssertEqual(trainedRun.state, .completed, trainedRun.failureReason ?? "")
        let trained = try XCTUnwrap(trainedRun.rounds.last?.producedVersion)
        // A device revoked with a reason that is markup: the fleet page must show it as text, never run it.
        let revoked = try await aggregator.enrollDevice(tags: [Tag(key: "zone", value: "field")])
        let reason = "<script>document.title='owned'</script>"
        _ = try await admin.revokeDevice(id: revoked.id, reason: reason)
        // A first wave of one device, then a bake long enough that the rollout is still running when
        // the operator presses pause.
        let rollout = try await admin.deploy(
            CreateDeploymentRequest(
                model: "digits", version: trained, selector: .all, strategy: .canary, waves: [25, 100],
                bakeSeconds: 3600))
        _ = try await aggregator.deployment(rollout.id) { $0.counts.installed == 1 }
        let devices = try await admin.devices()
        let operatorToken = try await admin.createAdminToken(CreateAdminTokenRequest(role: "operator"))

        let browser = try await HeadlessChromium.start(in: aggregator.folder, for: self)
        let site = aggregator.endpoints.url
        try await browser.open(site + "/ui/")
        try await browser.waitForPage("/ui/sign-in", containing: ["Admin token"])
        try await browser.screenshot(to: Self.screenshots.appendingPathComponent("sign-in.png"))
        try await browser.type(operatorToken.token, into: "#token")
        try await browser.click("form[action='/ui/sign-in'] button")

        let fleet = try await browser.waitForPage("/ui/", containing: devices.map(\.id))
        XCTAssertTrue(fleet.contains("shard=3"), "the agents' tags are shown")
        XCTAssertTrue(fleet.contains("digits@\(trained)"), "the first wave's device shows the version it runs")
        XCTAssertTrue(fleet.contains(reason), "the revocation reason is shown as text")
        let title = try await browser.title()
        XCTAssertEqual(title, "Fleet · Starling", "no script from a device's data ran")
        try await browser.screenshot(to: Self.screenshots.appendingPathComponent("fleet.png"))

        try await browser.click("nav a[href='/ui/runs']")
        try await browser.waitForPage(
            "/ui/runs",
            containing: [statistics.id, "statistics for profile digits v1", run.id, "3 of 3 rounds completed"])
        let charts = try await browser.count("svg")
        XCTAssertEqual(charts, 2, "the training run's accuracy and loss are charted")
        try await browser.screenshot(to: Self.screenshots.appendingPathComponent("runs.png"))

        try await browser.click("nav a[href='/ui/models']")
        let models = try await browser.waitForPage("/ui/models", containing: ["digits", run.id])
        let versions = try await admin.versions(model: "digits")
        XCTAssertEqual(versions.count, 4, "the initial version and one per round")
        for version in versions {
            XCTAssertTrue(models.contains(String(version.signature.prefix(12))), "version \(version.version)")
        }
        try await browser.screenshot(to: Self.screenshots.appendingPathComponent("models.png"))

        try await browser.click("nav a[href='/ui/rollouts']")
        try await browser.waitForPage("/ui/rollouts", containing: [rollout.id, "running", "1 of 4 installed"])
        try await browser.screenshot(to: Self.screenshots.appendingPathComponent("rollouts.png"))
        try await browser.click("form[action='/ui/rollouts/\(rollout.id)/pause'] button")
        try await browser.waitForPage("/ui/rollouts", containing: [rollout.id, "paused"])
        let resumeButtons = try await browser.count("form[action='/ui/rollouts/\(rollout.id)/resume'] button")
        XCTAssertEqual(resumeButtons, 1, "a paused rollout offers resume")

        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        let status = try await runStarling(["deploy", "status", rollout.id, "--json"], environment: environment)
        XCTAssertEqual(status.status, 0, status.stderr)
        let shown = try StarlingJSON.decoder().decode(DeploymentInfo.self, from: Data(status.stdout.utf8))
        XCTAssertEqual(shown.state, .paused, "the button paused the rollout")
        let audit = try await runStarling(["audit", "--json"], environment: environment)
        XCTAssertTrue(audit.stdout.contains(operatorToken.info.id), "the pause is audited under the operator's token")

        try await browser.click("a[href='/ui/rollouts/\(rollout.id)']")
        try await browser.waitForPage("/ui/rollouts/\(rollout.id)", containing: ["History", "paused"])
        try await browser.screenshot(to: Self.screenshots.appendingPathComponent("rollout.png"))

        let revocation = try await runStarling(["token", "revoke", operatorToken.info.id], environment: environment)
        XCTAssertEqual(revocation.status, 0, revocation.stderr)
        try await browser.click("nav a[href='/ui/']")
        try await browser.waitForPage("/ui/sign-in", containing: ["Admin token"])
    }

    private func finished(_ id: String, _ admin: AdminClient) async throws -> RunInfo {
        try await Wait.until("run \(id) to end", timeout: .seconds(180), interval: .milliseconds(200)) {
            guard let info = try? await admin.run(id: id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
    }
}
