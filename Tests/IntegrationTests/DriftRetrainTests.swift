import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// The continuous-training loop on real processes: four agents serve a model whose manifest carries
/// its training profile's drift reference; partway through, half of them start to see inputs unlike
/// that profile. The drift rule fires within a stated number of report periods and names only those
/// two devices; its `retrain` action trains a new version on them and rolls it out by canary to the
/// whole fleet, its lineage naming the alert. The two agents whose inputs did not move measure no
/// drift above the threshold.
final class DriftRetrainTests: XCTestCase {
    /// How often the agents send their windows, in seconds.
    static let reportPeriod = 2.0
    /// The rule fires within this many report periods of the drift's start: a drifted window closes
    /// within a second, is sent within a period, and the aggregator judges every second.
    static let periodsToFire = 10.0
    static let threshold = 0.5

    func test_halfTheAgentsDrift_theRuleRetrainsOnThem_andTheNewVersionRollsOutByCanary() async throws {
        let aggregator = try await AggregatorHarness.start(for: self, options: ["--monitor-rule-interval", "1"])
        let admin = aggregator.admin
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        _ = try await admin.importModel(safetensors: try TrainedDigits.profiledBundle().encoded(), name: "watched")
        let urls = try await aggregator.startAgents(
            4, rows: 150,
            options: ["--monitor-window", "1", "--monitor-report-interval", String(Int(Self.reportPeriod))])
        let base = try await admin.deploy(CreateDeploymentRequest(model: "watched", version: 1, selector: .all))
        _ = try await aggregator.deployment(base.id) { $0.state == .completed }
        try await aggregator.waitForFleet(of: 4, running: "watched", version: 1)
        let set = try await runStarling(
            [
                "monitor", "rule", "set", "--model", "watched", "--name", "input-drift", "--max-drift",
                String(Self.threshold), "--for", "10m", "--action", "retrain", "--retrain-rounds", "1", "--waves",
                "50,100", "--bake", "1s",
            ], environment: environment)
        XCTAssertEqual(set.status, 0, set.stderr)

        // Every agent first sees inputs like the training data: no feature drifts past the threshold.
        let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
        let width = table.featureNames.count
        let rows = (0..<table.labels.count).map { index in
            table.features[(index * width)..<((index + 1) * width)].map(Double.init)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (agent, url) in urls.enumerated() {
                let local = aggregator.client(baseURL: url, tls: nil)
                group.addTask {
                    for index in 0..<300 { try await Self.predict(rows[(agent * 300 + index) % rows.count], local) }
                }
            }
            try await group.waitForAll()
        }
        let calm = try await Wait.until("the calm windows to arrive", timeout: .seconds(60)) {
            let report = try? await admin.monitor(model: "watched", version: 1, seconds: 3600)
            return report?.versions.first.flatMap { $0.total.requests == 1_200 ? $0.total : nil }
        }
        XCTAssertLessThan(calm.topDrift.first?.psi ?? 0, Self.threshold, "\(calm.topDrift.prefix(3))")
        let calmAlerts = try await admin.monitorAlerts()
        XCTAssertEqual(calmAlerts.count, 0, "no rule fires while the inputs stay like the profile: \(calmAlerts)")

        // Agents 0 and 1 now see every feature mirrored (16 − x): their inputs leave the profile.
        let devices = try await admin.devices()
        let drifting = Set(
            devices.filter {
                $0.tags.contains(Tag(key: "shard", value: "0")) || $0.tags.contains(Tag(key: "shard", value: "1"))
            }
            .map(\.id))
        XCTAssertEqual(drifting.count, 2)
        let driftStart = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for url in urls.prefix(2) {
                let local = aggregator.client(baseURL: url, tls: nil)
                group.addTask {
                    for index in 0..<300 { try await Self.predict(rows[index].map { 16 - $0 }, local) }
                }
            }
            try await group.waitForAll()
        }
        let fired = try await Wait.until("the drift rule to fire", timeout: .seconds(120), interval: .milliseconds(100))
        {
            try? await admin.monitorAlerts().first { $0.rule == "input-drift" && $0.retrain != nil }
        }
        let periods = fired.firedAt.timeIntervalSince(driftStart) / Self.reportPeriod
        print(
            "calm fleet top PSI \(String(format: "%.3f", calm.topDrift.first?.psi ?? 0)); the drift rule fired at PSI "
                + "\(String(format: "%.2f", fired.value)) after \(String(format: "%.1f", periods)) report periods of \(Self.reportPeriod) s"
        )
        XCTAssertLessThanOrEqual(periods, Self.periodsToFire)
        XCTAssertEqual(fired.version, 1)
        XCTAssertGreaterThan(fired.value, Self.threshold)
        XCTAssertEqual(Set(fired.retrain?.devices ?? []), drifting, "only the drifted devices are retrained on")

        // The retraining run trains version 1 on the two drifted devices; its version rolls out by
        // canary to all four, each wave through the smoke-test gates.
        let rolling = try await Wait.until("the retraining run to end", timeout: .seconds(240)) {
            let alert = try? await admin.monitorAlerts().first { $0.id == fired.id }
            return alert?.retrain?.state == .training ? nil : alert
        }
        XCTAssertEqual(rolling.retrain?.state, .rollingOut, rolling.outcome)
        let made = try XCTUnwrap(rolling.retrain?.version)
        let canary = try await aggregator.deployment(
            try XCTUnwrap(rolling.retrain?.deploymentId), timeout: .seconds(120)
        ) { $0.state != .running }
        XCTAssertEqual(canary.state, .completed, canary.reason ?? "")
        XCTAssertEqual(canary.strategy, .canary)
        XCTAssertEqual(canary.waves, [50, 100])
        try await aggregator.waitForFleet(of: 4, running: "watched", version: made)
        let versions = try await admin.versions(model: "watched")
        let version = try XCTUnwrap(versions.first { $0.version == made })
        XCTAssertEqual(version.lineage.parentVersion, 1)
        XCTAssertEqual(version.lineage.trigger?.alertId, fired.id)
        XCTAssertEqual(version.lineage.trigger?.rule, "input-drift")
        XCTAssertEqual(version.lineage.trigger?.devices, 2)
        XCTAssertEqual(version.lineage.runId, rolling.retrain?.runId)

        // No false alarm: the agents whose inputs stayed put measure no drift past the threshold.
        for url in urls.suffix(2) {
            let local = aggregator.client(baseURL: url, tls: nil)
            let report: MonitorReport = try await local.get(APIPath.agentMonitor + "?window=3600")
            let served = try XCTUnwrap(report.versions.first { $0.version == "watched@1" })
            XCTAssertEqual(served.requests, 300)
            XCTAssertLessThan(served.topDrift.first?.psi ?? 0, Self.threshold, "\(served.topDrift.prefix(3))")
            print("an agent without drift: top PSI \(String(format: "%.3f", served.topDrift.first?.psi ?? 0))")
        }
        let alerts = try await runStarling(["monitor", "alerts"], environment: environment)
        XCTAssertEqual(alerts.status, 0, alerts.stderr)
        XCTAssertTrue(alerts.stdout.contains("rolling_out"), alerts.stdout)
        let lineage = try await runStarling(["model", "versions", "--model", "watched"], environment: environment)
        XCTAssertTrue(lineage.stdout.contains("alert \(fired.id) (input-drift)"), lineage.stdout)
    }

    private static func predict(_ features: [Double], _ client: StarlingHTTPClient) async throws {
        let _: Prediction = try await client.post(
            APIPath.agentPredict, json: PredictRequest(key: nil, features: features))
    }
}
