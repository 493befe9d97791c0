import Foundation
import Hummingbird
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import Synchronization
import XCTest

@testable import StarlingAggregator

/// Monitor rules judged against the devices' windows: a breach fires one alert per version (kept,
/// listed and posted to the webhook), it resolves once the condition no longer holds, and bad rules
/// are refused with a code.
final class MonitorRuleTests: XCTestCase {
    /// What a webhook receiver was sent.
    final class Received: Sendable {
        let alerts = Mutex<[MonitorAlert]>([])
    }

    /// A webhook receiver on loopback that keeps the alerts it is sent.
    struct Webhook {
        let received = Received()
        let task: Task<Void, any Error>
        let url: String

        init() async throws {
            let received = received
            let router = Router()
            router.post("hook") { request, _ -> HTTPResponse.Status in
                let buffer = try await request.body.collect(upTo: 1 << 20)
                let alert = try StarlingJSON.decoder().decode(MonitorAlert.self, from: Data(buffer.readableBytesView))
                received.alerts.withLock { $0.append(alert) }
                return .ok
            }
            let (port, portSink) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) })
            task = Task { try await app.runService() }
            var iterator = port.makeAsyncIterator()
            url = "http://127.0.0.1:\(await iterator.next() ?? 0)/hook"
        }
    }

    func window(start: Double, requests: Int, feedback: Int, correct: Int, version: Int = 1) -> MonitorWindow {
        var window = MonitorWindow(
            version: "watched@\(version)", start: start, seconds: 60, labels: ["0", "1"], bins: [])
        window.requests = requests
        window.phaseTwo = 0
        window.feedback = feedback
        window.correct = correct
        window.confusion = [correct, feedback - correct, 0, 0]
        return window
    }

    func test_aRuleBreached_firesOneAlert_postsItToTheWebhook_andResolvesWhenTheFiguresRecover() async throws {
        let webhook = try await Webhook()
        let aggregator = try await TestAggregator.start(deadline: 60, alertWebhook: webhook.url)
        let devices = try await aggregator.modelWithWatchingDevices("watched", count: 1)
        let device = try XCTUnwrap(devices.first)
        let rule: MonitorRule = try await aggregator.admin.post(
            APIPath.adminMonitorRules,
            json: SetMonitorRuleRequest(
                model: "watched", name: "accuracy-floor", condition: .minAccuracy, threshold: 0.8, forSeconds: 600,
                action: .alert, minSamples: 10))
        XCTAssertEqual(rule.rule.name, "accuracy-floor")
        let now = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
        let _: MonitorUploadReceipt = try await device.client.post(
            APIPath.deviceMonitor,
            json: MonitorUpload(windows: [window(start: now - 120, requests: 50, feedback: 10, correct: 5)]))

        let admin = aggregator.admin
        let fired = try await Wait.until("the rule to fire", timeout: .seconds(20), interval: .milliseconds(50)) {
            let list: MonitorAlertList? = try? await admin.get(APIPath.adminMonitorAlerts)
            return list?.alerts.first
        }
        XCTAssertEqual(fired.rule, "accuracy-floor")
        XCTAssertEqual(fired.version, 1)
        XCTAssertEqual(fired.value, 0.5)
        XCTAssertNil(fired.resolvedAt)
        let posted = try await Wait.until("the webhook to be called", timeout: .seconds(20)) {
            webhook.received.alerts.withLock { $0.first }
        }
        XCTAssertEqual(posted.rule, "accuracy-floor")
        XCTAssertEqual(posted.value, 0.5)

        // Better feedback in a later window lifts the span's accuracy to 45/50: the alert resolves,
        // and no second alert fired meanwhile.
        let _: MonitorUploadReceipt = try await device.client.post(
            APIPath.deviceMonitor,
            json: MonitorUpload(windows: [window(start: now - 60, requests: 50, feedback: 40, correct: 40)]))
        let resolved = try await Wait.until("the alert to resolve", timeout: .seconds(20), interval: .milliseconds(50))
        {
            let list: MonitorAlertList? = try? await admin.get(APIPath.adminMonitorAlerts)
            return list?.alerts.first?.resolvedAt != nil ? list : nil
        }
        XCTAssertEqual(resolved.alerts.count, 1)
        XCTAssertEqual(webhook.received.alerts.withLock { $0.count }, 1)
        webhook.task.cancel()
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_aRollbackRule_rollsBackTheVersionsLiveDeployment() async throws {
        let aggregator = try await TestAggregator.start(deadline: 60)
        let devices = try await aggregator.modelWithWatchingDevices("watched", count: 1)
        let device = try XCTUnwrap(devices.first)
        let deployment: DeploymentInfo = try await aggregator.admin.post(
            APIPath.adminDeployments, json: CreateDeploymentRequest(model: "watched", version: 1, selector: .all))
        let _: MonitorRule = try await aggregator.admin.post(
            APIPath.adminMonitorRules,
            json: SetMonitorRuleRequest(
                model: "watched", name: "escalations", condition: .maxPhaseTwoRate, threshold: 0.2, forSeconds: 600,
                action: .rollback, minSamples: 10))
        var escalating = window(
            start: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 60, requests: 10, feedback: 0, correct: 0)
        escalating.phaseTwo = 5
        let _: MonitorUploadReceipt = try await device.client.post(
            APIPath.deviceMonitor, json: MonitorUpload(windows: [escalating]))
        let admin = aggregator.admin
        let fired = try await Wait.until("the rule to fire", timeout: .seconds(20), interval: .milliseconds(50)) {
            let list: MonitorAlertList? = try? await admin.get(APIPath.adminMonitorAlerts)
            return list?.alerts.first { !$0.outcome.isEmpty }
        }
        XCTAssertEqual(fired.value, 0.5)
        XCTAssertEqual(fired.outcome, "rolled back \(deployment.id)")
        let after: DeploymentInfo = try await admin.get(APIPath.adminDeployment(id: deployment.id))
        XCTAssertEqual(after.state, .rolledBack)
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_aRetrainRule_trainsTheBreachingDevicesOnly_thenRollsTheResultOutByCanary() async throws {
        let aggregator = try await TestAggregator.start(deadline: 60)
        let admin = aggregator.admin
        let devices = try await aggregator.modelWithWatchingDevices("watched", count: 3)
        // Version 2 comes from a plain run, whose settings the retraining inherits.
        let first: RunInfo = try await admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "watched", clients: 3, minClients: 3, localEpochs: 2, learningRate: 0.1, rounds: 1, seed: 1,
                secureAggregation: false))
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        for device in devices {
            let task = try await device.nextTask()
            let _: UpdateReceipt = try await device.client.post(
                APIPath.deviceUpdate(runId: task.runId, round: task.round),
                bytes: UpdateBody.make(architecture, value: 0.01))
        }
        _ = try await Wait.until("the first run to end", timeout: .seconds(30), interval: .milliseconds(50)) {
            let run: RunInfo? = try? await admin.get(APIPath.adminRun(id: first.id))
            return run?.state == .completed ? run : nil
        }
        let deployment: DeploymentInfo = try await admin.post(
            APIPath.adminDeployments,
            json: CreateDeploymentRequest(model: "watched", version: 2, selector: .tags([Tag(key: "site", value: "a")]))
        )
        let _: MonitorRule = try await admin.post(
            APIPath.adminMonitorRules,
            json: SetMonitorRuleRequest(
                model: "watched", name: "accuracy-floor", condition: .minAccuracy, threshold: 0.85, forSeconds: 600,
                action: .retrain, retrain: RetrainSettings(rounds: 1, waves: [50, 100], bakeSeconds: 1), minSamples: 10)
        )

        // The fleet's accuracy is 24/30 = 0.8, below 0.85; only the first device's own (0.5) is.
        let start = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 60
        for (device, correct) in zip(devices, [5, 10, 9]) {
            let _: MonitorUploadReceipt = try await device.client.post(
                APIPath.deviceMonitor,
                json: MonitorUpload(windows: [
                    window(start: start, requests: 10, feedback: 10, correct: correct, version: 2)
                ]))
        }
        let fired = try await Wait.until("the rule to fire", timeout: .seconds(20), interval: .milliseconds(50)) {
            let list: MonitorAlertList? = try? await admin.get(APIPath.adminMonitorAlerts)
            return list?.alerts.first { $0.retrain != nil }
        }
        let retrain = try XCTUnwrap(fired.retrain)
        XCTAssertEqual(retrain.devices, [devices[0].id])
        XCTAssertEqual(retrain.state, .training)
        let runId = try XCTUnwrap(retrain.runId, fired.outcome)
        let run: RunInfo = try await admin.get(APIPath.adminRun(id: runId))
        XCTAssertEqual(run.clients, 1)
        XCTAssertEqual(run.localEpochs, 2, "the retraining trains as the run that made the version did")
        XCTAssertFalse(run.secureAggregation)

        let task = try await devices[0].nextTask()
        XCTAssertEqual(task.runId, runId)
        XCTAssertEqual(task.baseVersion, 2)
        for other in devices.dropFirst() {
            let state = try await other.watch()
            XCTAssertTrue(state.rounds.isEmpty, "a device that did not breach is not asked to retrain")
        }
        let _: UpdateReceipt = try await devices[0].client.post(
            APIPath.deviceUpdate(runId: task.runId, round: task.round),
            bytes: UpdateBody.make(architecture, value: 0.01))
        let rolling = try await Wait.until("the retrained version to roll out", timeout: .seconds(30)) {
            let list: MonitorAlertList? = try? await admin.get(APIPath.adminMonitorAlerts)
            return list?.alerts.first?.retrain?.state == .rollingOut ? list?.alerts.first : nil
        }
        XCTAssertEqual(rolling.retrain?.version, 3)
        let canary: DeploymentInfo = try await admin.get(
            APIPath.adminDeployment(id: try XCTUnwrap(rolling.retrain?.deploymentId)))
        XCTAssertEqual(canary.version, 3)
        XCTAssertEqual(canary.strategy, .canary)
        XCTAssertEqual(canary.waves, [50, 100])
        XCTAssertEqual(canary.selector, deployment.selector, "it goes where the breached version went")
        let versions: VersionList = try await admin.get(APIPath.adminVersions(model: "watched"))
        let made = try XCTUnwrap(versions.versions.first { $0.version == 3 })
        XCTAssertEqual(made.lineage.trigger?.alertId, fired.id)
        XCTAssertEqual(made.lineage.trigger?.rule, "accuracy-floor")
        XCTAssertEqual(made.lineage.trigger?.version, 2)
        XCTAssertEqual(made.lineage.runId, runId)

        // The retrained version breaching the same rule is not retrained again.
        let _: MonitorUploadReceipt = try await devices[0].client.post(
            APIPath.deviceMonitor,
            json: MonitorUpload(windows: [window(start: start, requests: 10, feedback: 10, correct: 1, version: 3)]))
        let again = try await Wait.until("the rule to fire for version 3", timeout: .seconds(20)) {
            let list: MonitorAlertList? = try? await admin.get(APIPath.adminMonitorAlerts)
            return list?.alerts.first { $0.version == 3 && $0.retrain != nil }
        }
        XCTAssertEqual(again.retrain?.state, .failed)
        XCTAssertTrue(again.outcome.contains("not retrained"), again.outcome)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    func test_aFigureOnFewerObservationsThanTheRuleWaitsFor_isNotJudged() {
        var drifted = MonitorReport.Version(
            summarising: window(start: 0, requests: 199, feedback: 199, correct: 0), reference: nil)
        drifted.topDrift = [MonitorReport.FeatureDrift(feature: 3, psi: 1.25, ks: 0.4)]
        let drift = SetMonitorRuleRequest(
            model: "watched", name: "drift", condition: .maxDrift, threshold: 0.5, forSeconds: 600, action: .alert)
        XCTAssertNil(MonitorRuleService.judgedFigure(drift, of: drifted), "199 inputs, fewer than the default 200")
        drifted.requests = 200
        XCTAssertEqual(MonitorRuleService.judgedFigure(drift, of: drifted), 1.25)

        // Accuracy counts feedback, not inputs.
        var accuracy = SetMonitorRuleRequest(
            model: "watched", name: "floor", condition: .minAccuracy, threshold: 0.8, forSeconds: 600, action: .alert)
        XCTAssertNil(MonitorRuleService.judgedFigure(accuracy, of: drifted), "199 feedbacks")
        accuracy.minSamples = 199
        XCTAssertEqual(MonitorRuleService.judgedFigure(accuracy, of: drifted), 0)
    }

    func test_badRules_areRefusedWithACode() async throws {
        let aggregator = try await TestAggregator.start(deadline: 60)
        _ = try await aggregator.modelWithWatchingDevices("watched", count: 0)
        let bad: [(SetMonitorRuleRequest, Int, String)] = [
            (
                .init(
                    model: "watched", name: "x", condition: .minAccuracy, threshold: 1.5, forSeconds: 600,
                    action: .alert), 400, "invalid_monitor_rule"
            ),
            (
                .init(model: "watched", name: "x", condition: .maxDrift, threshold: 0, forSeconds: 600, action: .alert),
                400, "invalid_monitor_rule"
            ),
            (
                .init(
                    model: "watched", name: "x y", condition: .maxDrift, threshold: 0.2, forSeconds: 600, action: .alert
                ), 400, "invalid_monitor_rule"
            ),
            (
                .init(model: "watched", name: "x", condition: .maxDrift, threshold: 0.2, forSeconds: 5, action: .alert),
                400, "invalid_monitor_rule"
            ),
            (
                .init(
                    model: "watched", name: "x", condition: .maxDrift, threshold: 0.2, forSeconds: 600,
                    action: .alert, retrain: RetrainSettings(rounds: 2)), 400, "invalid_monitor_rule"
            ),
            (
                .init(
                    model: "watched", name: "x", condition: .maxDrift, threshold: 0.2, forSeconds: 600,
                    action: .retrain, retrain: RetrainSettings(waves: [50, 20])), 400, "invalid_monitor_rule"
            ),
            (
                .init(
                    model: "watched", name: "x", condition: .maxDrift, threshold: 0.2, forSeconds: 600,
                    action: .retrain, retrain: RetrainSettings(rounds: 0)), 400, "invalid_monitor_rule"
            ),
            (
                .init(
                    model: "watched", name: "x", condition: .maxDrift, threshold: 0.2, forSeconds: 600,
                    action: .alert, minSamples: 0), 400, "invalid_monitor_rule"
            ),
            (
                .init(
                    model: "nobody", name: "x", condition: .maxDrift, threshold: 0.2, forSeconds: 600, action: .alert),
                404, "model_not_found"
            ),
        ]
        for (request, status, code) in bad {
            await assertAPIError(status: status, code: code) {
                try await aggregator.admin.post(APIPath.adminMonitorRules, json: request, as: MonitorRule.self)
            }
        }
        let rules: MonitorRuleList = try await aggregator.admin.get(APIPath.adminMonitorRules)
        XCTAssertEqual(rules.rules, [])
        try await aggregator.stop()
    }
}
