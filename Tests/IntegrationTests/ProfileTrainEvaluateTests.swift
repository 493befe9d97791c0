import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// The learning workflow through the real `starling` CLI against a real aggregator and real agents
/// holding digits slices, everything under secure aggregation: collect a feature profile, create a
/// model from it, train it with FedAdam and evaluation during the run, evaluate it again; and a run
/// whose local training diverges ends failed, naming the diverged devices.
final class ProfileTrainEvaluateTests: XCTestCase {
    private func environment(_ aggregator: AggregatorHarness) -> [String: String] {
        ["STARLING_AGGREGATOR_DIR": aggregator.fleet.aggregatorDirectory.path]
    }

    /// The run id a `starling round start` printed ("started rnd-… with secure aggregation").
    private func runID(in output: String) throws -> String {
        let words = output.split(whereSeparator: \.isWhitespace)
        let index = try XCTUnwrap(words.firstIndex(of: "started"), output)
        return String(try XCTUnwrap(words.dropFirst(index + 1).first, output))
    }

    func test_profileModelFedAdamAndEvaluation_throughTheCLI_underSecureAggregation() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = environment(aggregator)
        let agents = 4
        let rows = 120
        try await aggregator.startAgents(agents, rows: rows)

        let collected = try await runStarling(
            ["stats", "collect", "--name", "p", "--width", "64", "--deadline", "30"], environment: environment)
        XCTAssertEqual(collected.status, 0, collected.stderr)
        XCTAssertTrue(collected.stdout.contains("with secure aggregation"), collected.stdout)
        let collection = try await aggregator.admin.run(id: try runID(in: collected.stdout))
        XCTAssertEqual(collection.kind, .statistics)
        XCTAssertEqual(collection.profile, ProfileReference(name: "p", version: 1))
        XCTAssertEqual(collection.rounds.first?.updatesReceived, agents, "the devices summed")
        let shown = try await runStarling(["stats", "show", "p", "--json"], environment: environment)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let profile = try StarlingJSON.decoder().decode(FeatureProfile.self, from: Data(shown.stdout.utf8))
        XCTAssertEqual(profile.name, "p")
        XCTAssertEqual(profile.version, 1)
        XCTAssertEqual(profile.width, 64)
        XCTAssertEqual(profile.devices, agents)
        XCTAssertGreaterThan(profile.samples, 0)
        XCTAssertLessThanOrEqual(profile.samples, agents * rows, "training samples only; held-out ones stay out")
        XCTAssertTrue(profile.features.allSatisfy { $0.count == profile.samples && $0.rejected == 0 })
        XCTAssertTrue(profile.features.allSatisfy { $0.min >= 0 && $0.max <= 32 }, "digits pixels are 0…16")

        let labels = (0..<10).map(String.init).joined(separator: ",")
        let created = try await runStarling(
            ["model", "create", "--name", "m", "--arch", "64-16-10", "--profile", "p", "--labels", labels],
            environment: environment)
        XCTAssertEqual(created.status, 0, created.stderr)
        let bundle = try ModelBundle(decoding: try await aggregator.admin.weights(model: "m", version: 1))
        XCTAssertEqual(bundle.manifest.profile, ProfileReference(name: "p", version: 1))
        XCTAssertEqual(bundle.manifest.preprocessing, Preprocessing.auto(from: profile))

        let trained = try await runStarling(
            [
                "run", "start", "--model", "m", "--clients", "\(agents)", "--min-clients", "\(agents)",
                "--rounds", "2", "--local-epochs", "1", "--server-optimizer", "fedadam", "--evaluate-every", "2",
                "--deadline", "30", "--seed", "7",
            ], environment: environment)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stdout.contains("with secure aggregation"), trained.stdout)
        let training = try await aggregator.admin.run(id: try runID(in: trained.stdout))
        XCTAssertEqual(training.rounds.map(\.producedVersion), [2, 3])
        XCTAssertTrue(training.rounds.allSatisfy { $0.failedClients.isEmpty })

        // The run's own evaluation of its last version runs after it, on the same devices.
        let admin = aggregator.admin
        let during = try await Wait.until("version 3's evaluation", timeout: .seconds(60)) {
            (try? await admin.versions(model: "m"))?.first(where: { $0.version == 3 })?.evaluation
        }
        XCTAssertEqual(during.devices, agents)
        XCTAssertTrue(during.secureAggregation)

        let evaluated = try await runStarling(
            [
                "evaluate", "--model", "m", "--version", "2", "--clients", "\(agents)", "--min-clients", "\(agents)",
                "--deadline", "30", "--json",
            ],
            environment: environment)
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let evaluation = try StarlingJSON.decoder().decode(FederatedEvaluation.self, from: Data(evaluated.stdout.utf8))
        XCTAssertEqual(evaluation.version, 2)
        XCTAssertEqual(evaluation.devices, agents)
        let evaluationRun = try await aggregator.admin.run(id: evaluation.runId)
        XCTAssertEqual(evaluationRun.kind, .evaluate)
        XCTAssertEqual(evaluationRun.evaluation?.runId, evaluation.runId)
        XCTAssertEqual(evaluationRun.rounds.first?.updatesReceived, agents, "the devices summed")

        let listed = try await runStarling(["model", "versions", "--model", "m", "--json"], environment: environment)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let versions = try StarlingJSON.decoder().decode(VersionList.self, from: Data(listed.stdout.utf8)).versions
        XCTAssertEqual(versions.map(\.version), [1, 2, 3])
        XCTAssertNil(versions[0].evaluation)
        for version in versions.dropFirst() {
            let figures = try XCTUnwrap(version.evaluation, "version \(version.version)").figures
            XCTAssertGreaterThan(figures.samples, 0)
            XCTAssertTrue((0...1).contains(figures.accuracy))
            XCTAssertEqual(figures.confusion?.count, 10)
            XCTAssertEqual(figures.confusion?.joined().reduce(0, +), figures.samples)
        }
        XCTAssertEqual(versions[1].evaluation?.runId, evaluation.runId)
        XCTAssertEqual(versions[2].evaluation?.runId, during.runId)
        XCTAssertEqual(versions[1].evaluation?.figures.samples, versions[2].evaluation?.figures.samples)
        let table = try await runStarling(["model", "versions", "--model", "m"], environment: environment)
        XCTAssertTrue(table.stdout.contains("FED ACC"), table.stdout)
    }

    func test_withoutSecureAggregation_agentsUploadStatisticsAndFiguresInTheClear_andRobustRulesApply() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = environment(aggregator)
        try await aggregator.startAgents(3, rows: 100)

        let collected = try await runStarling(
            ["stats", "collect", "--name", "p", "--width", "64", "--no-secagg", "--deadline", "30"],
            environment: environment)
        XCTAssertEqual(collected.status, 0, collected.stderr)
        XCTAssertFalse(collected.stdout.contains("secure"), collected.stdout)
        let listed = try await runStarling(["stats", "list", "--json"], environment: environment)
        let profiles = try StarlingJSON.decoder().decode(ProfileList.self, from: Data(listed.stdout.utf8)).profiles
        XCTAssertEqual(profiles.map(\.devices), [3])
        XCTAssertEqual(profiles.map(\.secureAggregation), [false])

        let created = try await runStarling(
            ["model", "create", "--name", "m", "--arch", "64-16-10", "--profile", "p"], environment: environment)
        XCTAssertEqual(created.status, 0, created.stderr)
        let hidden = try await runStarling(
            ["run", "start", "--model", "m", "--clients", "3", "--min-clients", "3", "--aggregation", "median"],
            environment: environment)
        XCTAssertEqual(hidden.status, 2, "a usage error")
        XCTAssertTrue(hidden.stderr.contains("add --no-secagg"), hidden.stderr)
        let trained = try await runStarling(
            [
                "run", "start", "--model", "m", "--clients", "3", "--min-clients", "3", "--no-secagg",
                "--aggregation", "trimmed-mean", "--trim", "0.2", "--evaluate-every", "1", "--deadline", "30",
                "--seed", "4",
            ],
            environment: environment)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let admin = aggregator.admin
        let during = try await Wait.until("version 2's evaluation", timeout: .seconds(60)) {
            (try? await admin.versions(model: "m"))?.first(where: { $0.version == 2 })?.evaluation
        }
        XCTAssertFalse(during.secureAggregation)
        XCTAssertEqual(during.devices, 3)

        let evaluated = try await runStarling(
            ["evaluate", "--model", "m", "--version", "1", "--no-secagg", "--deadline", "30", "--json"],
            environment: environment)
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let evaluation = try StarlingJSON.decoder().decode(FederatedEvaluation.self, from: Data(evaluated.stdout.utf8))
        XCTAssertFalse(evaluation.secureAggregation)
        XCTAssertEqual(evaluation.figures.samples, during.figures.samples, "the same held-out samples")
        XCTAssertEqual(evaluation.figures.confusion?.joined().reduce(0, +), evaluation.figures.samples)
    }

    func test_aDeviceWithoutFittingSamples_reportsNoData_andSecureRunsOfEveryKindGoOnWithTheOthers() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = environment(aggregator)
        try await aggregator.startAgents(3, rows: 100)
        // The fourth device holds samples of 32 features (the lower half of each digit), none of 64.
        let rows = try String(contentsOf: TestData.digits, encoding: .utf8).split(separator: "\n").prefix(101)
        let narrow = rows.map {
            $0.split(separator: ",", omittingEmptySubsequences: false).suffix(33).joined(separator: ",")
        }
        let csv = aggregator.folder.appendingPathComponent("narrow.csv")
        try (narrow.joined(separator: "\n") + "\n").write(to: csv, atomically: true, encoding: .utf8)
        _ = try await aggregator.startAgent(3, csv: csv)
        try await aggregator.waitForOnlineDevices(4)
        let devices = try await aggregator.admin.devices()
        let narrowDevice = try XCTUnwrap(devices.first { $0.tags.contains(Tag(key: "shard", value: "3")) }).id

        let collected = try await runStarling(
            ["stats", "collect", "--name", "p", "--width", "64", "--clients", "4", "--deadline", "30"],
            environment: environment)
        XCTAssertEqual(collected.status, 0, collected.stderr)
        let collection = try await aggregator.admin.run(id: try runID(in: collected.stdout))
        XCTAssertEqual(collection.rounds.first?.failedClients.map(\.device), [narrowDevice])
        XCTAssertEqual(collection.rounds.first?.failedClients.map(\.reason), [.noData])
        let profile = try await aggregator.admin.profile(name: "p")
        XCTAssertEqual(profile.devices, 3)

        let created = try await runStarling(
            ["model", "create", "--name", "m", "--arch", "64-16-10", "--profile", "p"], environment: environment)
        XCTAssertEqual(created.status, 0, created.stderr)
        let trained = try await runStarling(
            [
                "run", "start", "--model", "m", "--clients", "4", "--min-clients", "3", "--local-epochs", "1",
                "--deadline", "30", "--seed", "2",
            ],
            environment: environment)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let training = try await aggregator.admin.run(id: try runID(in: trained.stdout))
        XCTAssertEqual(training.rounds.first?.updatesReceived, 3)
        XCTAssertEqual(training.rounds.first?.failedClients.map(\.device), [narrowDevice])
        let status = try await runStarling(["run", "status", training.id], environment: environment)
        XCTAssertTrue(status.stdout.contains("\(narrowDevice): no_data, "), status.stdout)

        let evaluated = try await runStarling(
            ["evaluate", "--model", "m", "--clients", "4", "--min-clients", "3", "--deadline", "30", "--json"],
            environment: environment)
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let evaluation = try StarlingJSON.decoder().decode(FederatedEvaluation.self, from: Data(evaluated.stdout.utf8))
        XCTAssertEqual(evaluation.devices, 3)
        XCTAssertEqual(evaluation.version, 2)
    }

    func test_aRunWhoseLocalTrainingDiverges_failsAndItsStatusNamesTheDivergedDevices() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let environment = environment(aggregator)
        try await aggregator.startAgents(3, rows: 100)
        // Raw pixels (0…16), no clipping and a huge step: the first steps blow the loss up.
        let created = try await runStarling(
            ["model", "create", "--name", "raw", "--arch", "64-16-10"], environment: environment)
        XCTAssertEqual(created.status, 0, created.stderr)

        let refused = try await runStarling(
            ["run", "start", "--model", "raw", "--clients", "3", "--min-clients", "2", "--lr", "1e30"],
            environment: environment)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("learning_rate"), refused.stderr)

        let diverged = try await runStarling(
            [
                "run", "start", "--model", "raw", "--clients", "3", "--min-clients", "2", "--lr", "100",
                "--clip-grad-norm", "0", "--deadline", "60", "--seed", "3",
            ], environment: environment)
        XCTAssertEqual(diverged.status, 1, diverged.stdout + diverged.stderr)
        XCTAssertTrue(diverged.stderr.contains("3 of 3 devices reported failures (3 diverged)"), diverged.stderr)

        let id = try runID(in: diverged.stdout)
        let status = try await runStarling(["run", "status", id], environment: environment)
        XCTAssertEqual(status.status, 0, status.stderr)
        let devices = try await aggregator.admin.devices()
        XCTAssertEqual(devices.count, 3)
        for device in devices {
            XCTAssertTrue(status.stdout.contains("\(device.id): diverged, "), status.stdout)
        }
        XCTAssertTrue(status.stdout.contains("failed: only 0 of 2 required updates"), status.stdout)
        let versions = try await aggregator.admin.versions(model: "raw")
        XCTAssertEqual(versions.count, 1, "a diverged run makes no version")
    }
}
