import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// Real agent processes count their predictions and feedback in monitor windows and send the closed
/// windows to the aggregator; `starling monitor` shows the fleet's figures of the version they
/// serve, added up over the devices.
final class FleetMonitorTests: XCTestCase {
    func test_agentsSendTheirMonitorWindows_andTheFleetsFiguresAddUp() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
        let bundleFile = aggregator.folder.appendingPathComponent("digits.safetensors")
        try Data(try TrainedDigits.bundle().encoded()).write(to: bundleFile)
        let imported = try await runStarling(
            ["model", "import", "--safetensors", bundleFile.path, "--name", "watched"], environment: environment)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let urls = try await aggregator.startAgents(
            3, rows: 40, options: ["--monitor-window", "1", "--monitor-report-interval", "1"])
        let right = try await askAndLabel(urls, aggregator, labelled: 10)

        let admin = aggregator.admin
        let report = try await Wait.until("the fleet's windows to arrive", timeout: .seconds(60)) {
            guard let report = try? await admin.monitor(model: "watched", version: 1, seconds: 3600),
                let total = report.versions.first?.total, total.requests == 60, total.feedback == 30
            else { return nil as FleetMonitorReport? }
            return report
        }
        let watched = try XCTUnwrap(report.versions.first)
        XCTAssertEqual(watched.version, 1)
        XCTAssertEqual(watched.devices, 3)
        XCTAssertEqual(watched.total.accuracy, Double(right) / 30)
        XCTAssertGreaterThan(right, 20, "the trained model gets most digits right")
        XCTAssertEqual(watched.total.confusion.counts.joined().reduce(0, +), 30)
        XCTAssertEqual(watched.points.map(\.figures.requests).reduce(0, +), 60, "the windows add up to the total")
        XCTAssertNotNil(watched.total.latencyP50Ms)

        let shown = try await runStarling(
            ["monitor", "--model", "watched", "--window", "1h"], environment: environment)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("watched@1: 3 devices, 60 predictions"), shown.stdout)
        let refused = try await runStarling(
            ["monitor", "--model", "watched", "--window", "5s"], environment: environment)
        XCTAssertNotEqual(refused.status, 0)
    }
}

/// Deploys `watched`@1 to the three agents at `urls`, asks each for 20 keyed predictions of its own
/// digits rows and labels the first `labelled` of them; returns how many labelled answers were right.
private func askAndLabel(_ urls: [String], _ aggregator: AggregatorHarness, labelled: Int) async throws -> Int {
    _ = try await aggregator.admin.deploy(CreateDeploymentRequest(model: "watched", version: 1, selector: .all))
    try await aggregator.waitForFleet(of: urls.count, running: "watched", version: 1)
    let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
    let width = table.featureNames.count
    var right = 0
    for (agent, url) in urls.enumerated() {
        let local = aggregator.client(baseURL: url, tls: nil)
        for index in 0..<20 {
            let row = agent * 20 + index
            let features = table.features[(row * width)..<((row + 1) * width)].map(Double.init)
            let answer: Prediction = try await local.post(
                APIPath.agentPredict, json: PredictRequest(key: "row-\(row)", features: features))
            guard index < labelled else { continue }
            let receipt: FeedbackReceipt = try await local.post(
                APIPath.agentFeedback, json: FeedbackRequest(key: "row-\(row)", label: table.labels[row]))
            right += receipt.correct
            XCTAssertEqual(receipt.correct, answer.label == table.labels[row] ? 1 : 0)
        }
    }
    return right
}

/// With `--monitor-aggregation secure`, agents keep their windows and add them up under SecAgg+
/// when a monitor run asks: the fleet view holds only the sums, which count every prediction and
/// feedback exactly once and stand for all three devices.
final class SecureFleetMonitorTests: XCTestCase {
    func test_windowsSummedUnderSecureAggregation_addUpToTheFleetsFigures() async throws {
        let aggregator = try await AggregatorHarness.start(
            for: self,
            options: [
                "--monitor-aggregation", "secure", "--secure-monitor-min-devices", "3", "--secure-monitor-interval",
                "2",
            ])
        _ = try await aggregator.admin.importModel(safetensors: try TrainedDigits.bundle().encoded(), name: "watched")
        let urls = try await aggregator.startAgents(
            3, rows: 40, options: ["--monitor-window", "1", "--monitor-report-interval", "1"])
        let right = try await askAndLabel(urls, aggregator, labelled: 20)
        let admin = aggregator.admin
        let total = try await Wait.until("the secure sums to count every prediction", timeout: .seconds(90)) {
            let report = try? await admin.monitor(model: "watched", version: 1, seconds: 3600)
            guard let watched = report?.versions.first, watched.total.requests >= 60, watched.total.feedback >= 60
            else { return nil as FleetMonitorReport.Version? }
            return watched
        }
        XCTAssertEqual(total.total.requests, 60, "each prediction counted once: no window was also sent alone")
        XCTAssertEqual(total.total.feedback, 60)
        XCTAssertEqual(total.total.accuracy, Double(right) / 60)
        XCTAssertEqual(total.devices, 3, "a secure sum stands for its whole cohort")
        for point in total.points {
            XCTAssertGreaterThan(
                point.figures.to - point.figures.from, 1.5,
                "every window is a secure sum over a collection span, none a device's own 1-second window")
        }
    }
}
