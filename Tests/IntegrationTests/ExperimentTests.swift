import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// Shadow and A/B experiments on real agent processes, with a candidate known to be better than the
/// version the devices run: the shadow never answers, the A/B routing sticks to keys, both reach
/// the verdict that the candidate is more accurate, and `promote` ships it.
final class ExperimentTests: XCTestCase {
    /// Version 1, weaker (two epochs on 200 rows), and version 2, the well-trained digits model.
    private func startFleet() async throws -> (AggregatorHarness, [String], [String: String]) {
        let aggregator = try await AggregatorHarness.start(for: self, options: ["--monitor-rule-interval", "1"])
        let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
        let good = try TrainedDigits.bundle()
        var weak = MLP(architecture: good.manifest.architecture, seed: 9)
        let rows = 200 * table.featureNames.count
        let few = try CSVTable(
            featureNames: table.featureNames, features: Array(table.features.prefix(rows)),
            labels: Array(table.labels.prefix(200))
        ).dataset(classes: good.manifest.labels)
        _ = Trainer.train(
            &weak, on: few, preprocessing: good.manifest.preprocessing,
            config: TrainingConfig(epochs: 2, batchSize: 50, learningRate: 0.05, momentum: 0.9, seed: 9))
        let admin = aggregator.admin
        _ = try await admin.importModel(
            safetensors: try ModelBundle(manifest: good.manifest, model: .dense(weak)).encoded(), name: "digits")
        _ = try await admin.importModel(safetensors: try good.encoded(), name: "digits")
        let urls = try await aggregator.startAgents(
            2, rows: 100, options: ["--monitor-window", "1", "--monitor-report-interval", "1"])
        let base = try await admin.deploy(CreateDeploymentRequest(model: "digits", version: 1, selector: .all))
        _ = try await aggregator.deployment(base.id) { $0.state == .completed }
        try await aggregator.waitForFleet(of: 2, running: "digits", version: 1)
        return (aggregator, urls, ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path])
    }

    /// Keyed predictions of rows `range` on the agents in turn; returns each key's answer.
    private func predict(_ range: Range<Int>, keyPrefix: String, on urls: [String], _ aggregator: AggregatorHarness)
        async throws -> [String: Prediction]
    {
        let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
        let width = table.featureNames.count
        var answers: [String: Prediction] = [:]
        let clients = urls.map { aggregator.client(baseURL: $0, tls: nil) }
        for row in range {
            let features = table.features[(row * width)..<((row + 1) * width)].map(Double.init)
            let key = "\(keyPrefix)-\(row)"
            answers[key] = try await clients[row % clients.count].post(
                APIPath.agentPredict, json: PredictRequest(key: key, features: features))
        }
        return answers
    }

    /// The true labels of rows `range`, as feedback.
    private func feedback(_ range: Range<Int>, keyPrefix: String, on urls: [String], _ aggregator: AggregatorHarness)
        async throws
    {
        let table = try CSVTable.load(contentsOf: TestData.digits, labelColumn: "label")
        let clients = urls.map { aggregator.client(baseURL: $0, tls: nil) }
        for (index, client) in clients.enumerated() {
            let items = range.filter { $0 % clients.count == index }.map {
                FeedbackRequest(key: "\(keyPrefix)-\($0)", label: table.labels[$0])
            }
            let _: FeedbackReceipt = try await client.post(
                APIPath.agentFeedbackBatch, json: FeedbackBatchRequest(items: items))
        }
    }

    /// Waits until every agent holds the experiment: a keyed probe shows up in its arm's window.
    private func waitForExperiment(on urls: [String], shadow: Bool, _ aggregator: AggregatorHarness) async throws {
        for url in urls {
            let local = aggregator.client(baseURL: url, tls: nil)
            _ = try await Wait.until("the agent to join the experiment", timeout: .seconds(60)) {
                let _: Prediction? = try? await local.post(
                    APIPath.agentPredict, json: PredictRequest(key: nil, features: [Double](repeating: 0, count: 64)))
                let report: MonitorReport? = try? await local.get(APIPath.agentMonitor)
                return report?.versions.contains { $0.arm != nil && $0.arm?.shadow == shadow } == true ? true : nil
            }
        }
    }

    func test_aShadowOfABetterVersion_isNeverReturned_winsTheVerdict_andIsPromoted() async throws {
        let (aggregator, urls, environment) = try await startFleet()
        let started = try await runStarling(
            [
                "deploy", "--model", "digits", "--version", "2", "--to", "all", "--mode", "shadow", "--min-feedback",
                "100", "--json",
            ], environment: environment)
        XCTAssertEqual(started.status, 0, started.stderr)
        let experiment = try StarlingJSON.decoder().decode(DeploymentInfo.self, from: Data(started.stdout.utf8))
        try await waitForExperiment(on: urls, shadow: true, aggregator)

        let answers = try await predict(600..<900, keyPrefix: "s", on: urls, aggregator)
        XCTAssertTrue(answers.values.allSatisfy { $0.modelVersion == "digits@1" }, "the shadow never answers")
        for url in urls {
            let local = aggregator.client(baseURL: url, tls: nil)
            _ = try await Wait.until("the shadow to answer every call", timeout: .seconds(60)) {
                let report: MonitorReport? = try? await local.get(APIPath.agentMonitor)
                let shadow = report?.versions.first { $0.arm?.shadow == true }
                return (shadow?.requests ?? 0) >= 150 ? true : nil
            }
        }
        try await feedback(600..<900, keyPrefix: "s", on: urls, aggregator)
        let admin = aggregator.admin
        let decided = try await Wait.until("every agent's feedback to arrive", timeout: .seconds(60)) {
            let info = try? await admin.deployment(id: experiment.id)
            let fed = info?.experiment?.arms.filter { $0.feedback == 300 }.count
            return fed == 2 ? info?.experiment : nil
        }
        let verdict = try XCTUnwrap(decided.verdict)
        XCTAssertEqual(verdict.winner, "candidate", verdict.summary)
        XCTAssertEqual(verdict.test, "two-proportion z-test")
        XCTAssertGreaterThan(try XCTUnwrap(verdict.low), 0, "the interval of the difference is above zero")
        let shadow = try XCTUnwrap(decided.arms.first { $0.role == "shadow" })
        XCTAssertEqual(shadow.version, 2)
        XCTAssertEqual(shadow.feedback, 300)
        XCTAssertNotNil(shadow.agreement)
        XCTAssertNotNil(shadow.latencyP50Ms)
        print("shadow experiment: \(verdict.summary); agreement \(shadow.agreement ?? 0)")

        let status = try await runStarling(["deploy", "status", experiment.id], environment: environment)
        XCTAssertTrue(status.stdout.contains("verdict (two-proportion z-test): candidate"), status.stdout)
        let promoted = try await runStarling(["deploy", "promote", experiment.id], environment: environment)
        XCTAssertEqual(promoted.status, 0, promoted.stderr)
        try await aggregator.waitForFleet(of: 2, running: "digits", version: 2)
        let ended = try await admin.deployment(id: experiment.id)
        XCTAssertEqual(ended.state, .completed)
        XCTAssertNotNil(ended.experiment?.promotedTo)
    }

    func test_anABTest_sticksToKeys_findsTheBetterVersion_andPromotesIt() async throws {
        let (aggregator, urls, environment) = try await startFleet()
        let admin = aggregator.admin
        let experiment = try await admin.deploy(
            CreateDeploymentRequest(
                model: "digits", version: 2, selector: .all, mode: .ab, split: 50, minFeedback: 100))
        try await waitForExperiment(on: urls, shadow: false, aggregator)

        let first = try await predict(600..<1_000, keyPrefix: "ab", on: urls, aggregator)
        let again = try await predict(600..<1_000, keyPrefix: "ab", on: urls, aggregator)
        for (key, answer) in first {
            XCTAssertEqual(again[key]?.modelVersion, answer.modelVersion, "key \(key) always sees the same version")
        }
        let candidateShare = Double(first.values.filter { $0.modelVersion == "digits@2" }.count) / Double(first.count)
        XCTAssertEqual(candidateShare, 0.5, accuracy: 0.1, "about half the keys go to the candidate")
        try await feedback(600..<1_000, keyPrefix: "ab", on: urls, aggregator)

        let decided = try await Wait.until("every agent's feedback to arrive", timeout: .seconds(60)) {
            let info = try? await admin.deployment(id: experiment.id)
            let fed = info?.experiment?.arms.map(\.feedback).reduce(0, +)
            return fed == 400 ? info?.experiment : nil
        }
        let verdict = try XCTUnwrap(decided.verdict)
        XCTAssertEqual(verdict.winner, "candidate", verdict.summary)
        XCTAssertGreaterThan(try XCTUnwrap(verdict.low), 0)
        XCTAssertLessThan(try XCTUnwrap(verdict.pValue), 0.05)
        print("A/B experiment: \(verdict.summary)")
        _ = try await admin.promote(id: experiment.id, PromoteRequest())
        try await aggregator.waitForFleet(of: 2, running: "digits", version: 2)

        let refused = try await runStarling(["deploy", "promote", experiment.id], environment: environment)
        XCTAssertNotEqual(refused.status, 0, "an ended experiment cannot be promoted again")
    }

    /// A bandit over the devices' version and the better one: with feedback after each batch, each
    /// agent's Thompson sampling moves its traffic to the better version, and the aggregator's
    /// posterior names it the best arm.
    func test_aBandit_movesTrafficToTheBetterVersion() async throws {
        let (aggregator, urls, _) = try await startFleet()
        let admin = aggregator.admin
        let experiment = try await admin.deploy(
            CreateDeploymentRequest(model: "digits", version: 2, selector: .all, mode: .bandit, minFeedback: 20))
        try await waitForExperiment(on: urls, shadow: false, aggregator)
        var shares: [Double] = []
        for batch in 0..<8 {
            let rows = (600 + batch * 60)..<(660 + batch * 60)
            let answers = try await predict(rows, keyPrefix: "b", on: urls, aggregator)
            shares.append(Double(answers.values.filter { $0.modelVersion == "digits@2" }.count) / Double(answers.count))
            try await feedback(rows, keyPrefix: "b", on: urls, aggregator)
        }
        print("bandit: the better version's share of each batch \(shares.map { String(format: "%.2f", $0) })")
        XCTAssertGreaterThan(shares.suffix(2).reduce(0, +) / 2, 0.8, "traffic moved to the better version: \(shares)")
        XCTAssertGreaterThan(shares.suffix(2).reduce(0, +), shares.prefix(2).reduce(0, +))
        let decided = try await Wait.until("the bandit's verdict", timeout: .seconds(60)) {
            let info = try? await admin.deployment(id: experiment.id)
            return info?.experiment?.verdict?.winner == "candidate" ? info?.experiment : nil
        }
        XCTAssertEqual(decided.verdict?.candidate, 2)
        XCTAssertEqual(decided.verdict?.test, "thompson posterior")
        XCTAssertGreaterThanOrEqual(decided.arms.first { $0.version == 2 }?.probabilityBest ?? 0, 0.95)
    }
}
