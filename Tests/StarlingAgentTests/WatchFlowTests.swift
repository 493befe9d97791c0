import Crypto
import Foundation
import StarlingCore
import StarlingMetrics
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAgent

final class WatchFlowTests: XCTestCase {
    /// A fake aggregator that deploys `toy@3` and hands out a training task on it.
    private func deployingAndTraining() throws -> FakeAggregator {
        let weights = try makeToyBundle().encoded()
        let int8 = try makeInt8Artifact(try makeToyBundle())
        let task = RoundTask(
            runId: "rnd-1", round: 0, model: "toy", baseVersion: 3, sha256: ContentDigest.sha256Hex(weights),
            localEpochs: 2, learningRate: 0.05, momentum: 0.9, batchSize: 8, deadline: Date().addingTimeInterval(60),
            seed: 11)
        let desired = DesiredState(
            revision: "boot.1",
            model: try signedToyModel(deploymentId: "dep-1", weights: weights, int8: int8),
            rounds: [task])
        return FakeAggregator(desired: desired, weights: weights, int8Weights: int8)
    }

    func test_watch_installsTheDeployedModelAndSubmitsTheRoundUpdate() async throws {
        let metrics = AgentMetrics()
        let (events, _) = try await runAgentAgainst(try deployingAndTraining(), expecting: 2, metrics: metrics)

        guard case .report(let report)? = events.first(where: { if case .report = $0 { true } else { false } }) else {
            return XCTFail("no deployment report in \(events)")
        }
        XCTAssertEqual(report.state, .installed)
        XCTAssertEqual(report.version, 3)
        guard case .update(_, _, let body)? = events.first(where: { if case .update = $0 { true } else { false } })
        else {
            return XCTFail("no update in \(events)")
        }
        let update = try SafetensorsFile(decoding: body)
        let trainSamples = try XCTUnwrap(update.metadata[UpdateMetadataKey.trainSamples].flatMap(Int.init))
        XCTAssertGreaterThan(trainSamples, 0)
        XCTAssertEqual(Set(update.tensors.keys), ["layers.0.weight", "layers.0.bias"])
        let samples = PrometheusSamples(metrics.registry.exposition())
        XCTAssertEqual(samples.value("starling_agent_training_duration_seconds_count"), 1)
        XCTAssertEqual(samples.value("starling_agent_installs_total", ["outcome": "installed"]), 1)
    }

    func test_anUploadWhoseConnectionDrops_isSentAgain_andArrives() async throws {
        let fake = try deployingAndTraining()
        fake.dropNextUploads(2)
        let (events, _) = try await runAgentAgainst(fake, expecting: 2)

        XCTAssertTrue(events.contains { if case .update = $0 { true } else { false } }, "the update arrived: \(events)")
        XCTAssertEqual(fake.uploadAttempts, 3, "two lost attempts, then the one taken")
    }

    /// The served int8 artifact is quantized from a model with its classes swapped, so only an answer
    /// computed by the int8 bundle says "b" for (1, 0); the fp32 artifact would say "a".
    func test_watch_installsTheInt8Artifact_andPhaseOneAnswersWithItAfterARestart() async throws {
        let weights = try makeToyBundle().encoded()
        let int8 = try makeInt8Artifact(try makeToyBundle(swapped: true))
        let desired = DesiredState(
            revision: "boot.3",
            model: try signedToyModel(deploymentId: "dep-3", weights: weights, int8: int8),
            rounds: [])
        let (events, paths) = try await runAgentAgainst(
            FakeAggregator(desired: desired, weights: weights, int8Weights: int8), expecting: 1)
        guard case .report(let report)? = events.first else { return XCTFail("no report") }
        XCTAssertEqual(report.state, .installed, report.message ?? "")
        let files = ModelFiles(paths: paths)
        XCTAssertEqual(try Data(contentsOf: files.url(.int8, sha256: ContentDigest.sha256Hex(int8))), Data(int8))
        XCTAssertEqual(try Data(contentsOf: files.url(.fp32, sha256: ContentDigest.sha256Hex(weights))), Data(weights))

        let restored = try await ModelInstaller.restore(
            paths: paths, store: try AgentStore(path: paths.database), work: testWork, logger: testLogger)
        try await withLocalAPI(model: restored) { client, _ in
            let answer: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: nil, features: [1, 0]))
            XCTAssertEqual(answer.label, "b")
            XCTAssertEqual(answer.phase, 1)
            XCTAssertEqual(answer.modelVersion, "toy@3")
        }
    }

    func test_watch_withWrongDigest_reportsFailedAndKeepsNoModel() async throws {
        let weights = try makeToyBundle().encoded()
        let int8 = try makeInt8Artifact(try makeToyBundle())
        let desired = DesiredState(
            revision: "boot.2",
            model: try signedToyModel(
                deploymentId: "dep-2", weights: weights, int8: int8, int8Digest: String(repeating: "0", count: 64)),
            rounds: [])
        let (events, _) = try await runAgentAgainst(
            FakeAggregator(desired: desired, weights: weights, int8Weights: int8), expecting: 1)
        guard case .report(let report)? = events.first else { return XCTFail("no report") }
        XCTAssertEqual(report.state, .failed)
        XCTAssertTrue(report.message?.contains("SHA-256") ?? false, report.message ?? "")
    }

    func test_watch_withASignatureFromAnotherKey_reportsFailedAndInstallsNothing() async throws {
        let weights = try makeToyBundle().encoded()
        let int8 = try makeInt8Artifact(try makeToyBundle())
        let desired = DesiredState(
            revision: "boot.4",
            model: try signedToyModel(
                deploymentId: "dep-4", weights: weights, int8: int8, key: Curve25519.Signing.PrivateKey()),
            rounds: [])
        let (events, paths) = try await runAgentAgainst(
            FakeAggregator(desired: desired, weights: weights, int8Weights: int8), expecting: 1)
        guard case .report(let report)? = events.first else { return XCTFail("no report") }
        XCTAssertEqual(report.state, .failed)
        XCTAssertTrue(report.message?.contains("signature") ?? false, report.message ?? "")
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: paths.models.path)) ?? []
        XCTAssertEqual(stored, [], "nothing is downloaded")
        let slots = try await AgentStore(path: paths.database).modelSlots()
        XCTAssertEqual(slots, .empty, "nothing is installed")
    }

    func test_watch_withAManifestOtherThanTheSignedOne_reportsFailed() async throws {
        let weights = try makeToyBundle().encoded()
        let int8 = try makeInt8Artifact(try makeToyBundle())
        var model = try signedToyModel(deploymentId: "dep-5", weights: weights, int8: int8)
        model.manifestSha256 = String(repeating: "1", count: 64)
        model.signature = try testSigningKey.signature(for: model.statement.signedBytes).base64EncodedString()
        let metrics = AgentMetrics()
        let (events, _) = try await runAgentAgainst(
            FakeAggregator(
                desired: DesiredState(revision: "boot.5", model: model, rounds: []), weights: weights, int8Weights: int8
            ),
            expecting: 1, metrics: metrics)
        guard case .report(let report)? = events.first else { return XCTFail("no report") }
        XCTAssertEqual(report.state, .failed)
        XCTAssertTrue(report.message?.contains("manifest") ?? false, report.message ?? "")
        let samples = PrometheusSamples(metrics.registry.exposition())
        XCTAssertEqual(samples.value("starling_agent_installs_total", ["outcome": "failed"]), 1)
        XCTAssertEqual(samples.value("starling_agent_installs_total", ["outcome": "installed"]), 0)
    }

    /// Runs the watch and training services against `fake` until it has seen `count` events, both
    /// recording into `metrics`; afterwards checks what the agent persisted, and returns the events
    /// and the agent's paths.
    private func runAgentAgainst(
        _ fake: FakeAggregator, expecting count: Int, metrics: AgentMetrics = AgentMetrics()
    ) async throws -> ([FakeAggregator.Event], AgentPaths) {
        let directory = try makeTemporaryDirectory()
        let paths = AgentPaths(dataDirectory: directory)
        let store = try AgentStore(path: paths.database)
        try await store.insert(
            (0..<40).map { row in
                row.isMultiple(of: 2)
                    ? LabelledSample(features: [1, 0], label: "a") : LabelledSample(features: [0, 1], label: "b")
            })
        let server = try await fake.start()
        let client = StarlingHTTPClient(baseURL: server.url, tls: nil)
        let slot = ModelSlot()
        let (tasks, taskSink) = AsyncStream.makeStream(of: RoundTask.self)
        let watch = WatchService(
            client: client, store: store, slot: slot, connection: ConnectionState(),
            installer: ModelInstaller(
                client: client, store: store, slot: slot, verifier: VersionVerifier(key: testSigningKey.publicKey),
                paths: paths, metrics: metrics, work: testWork, logger: testLogger),
            experiments: ExperimentInstaller(
                client: client, slot: ExperimentSlot(seed: 3), verifier: VersionVerifier(key: testSigningKey.publicKey),
                files: ModelFiles(directory: paths.experiments), work: testWork, logger: testLogger),
            monitorUpload: MonitorUploadPolicy(), roundTasks: taskSink, seed: 3, logger: testLogger)
        let training = TrainingService(
            client: client, store: store, counters: try await CounterLedger.load(from: store),
            privacy: PrivacyLedger(store: store, budget: nil), metrics: metrics, tasks: tasks, logger: testLogger)

        var received: [FakeAggregator.Event] = []
        // The agent stops and closes its connections first; then the server stops listening and
        // serves what it accepted (a connection accepted but dropped unserved would trap in NIO).
        await withThrowingTaskGroup(of: Void.self) { serving in
            serving.addTask { try await server.run() }
            await withThrowingTaskGroup(of: Void.self) { agent in
                agent.addTask { try await watch.run() }
                agent.addTask { try await training.run() }
                // The events the test expects, or nil when they have not all come within a minute.
                let collected = await withTaskGroup(of: [FakeAggregator.Event]?.self) { race in
                    race.addTask {
                        var events: [FakeAggregator.Event] = []
                        for await event in fake.events {
                            events.append(event)
                            if events.count == count { break }
                        }
                        return events
                    }
                    race.addTask {
                        try? await Task.sleep(for: .seconds(60))
                        return nil
                    }
                    let first = await race.next() ?? nil
                    race.cancelAll()
                    return first
                }
                if let collected {
                    received = collected
                } else {
                    XCTFail("\(count) events did not arrive within a minute")
                }
                agent.cancelAll()
            }
            await client.shutdown()
            await server.close()
        }

        let installed = received.contains { event in
            if case .report(let report) = event { report.state == .installed } else { false }
        }
        let restored = try await ModelInstaller.restore(paths: paths, store: store, work: testWork, logger: testLogger)
        XCTAssertEqual(restored?.tag, installed ? "toy@3" : nil)
        XCTAssertEqual(slot.model?.tag, installed ? "toy@3" : nil)
        return (received, paths)
    }
}
