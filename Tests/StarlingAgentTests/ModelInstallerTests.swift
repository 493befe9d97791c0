import Foundation
import StarlingMetrics
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAgent

/// Installs switch between the two model slots: a new version is downloaded and becomes active, the
/// previous version is switched back to without the network, files no slot names are deleted, and
/// every report carries the smoke tests of the new and the replaced model.
final class ModelInstallerTests: XCTestCase {
    func test_deployingThePreviousVersion_switchesBackWithoutDownloading_andReportsRolledBack() async throws {
        let three = try ToyArtifacts(version: 3)
        let four = try ToyArtifacts(version: 4, swapped: true)
        let fake = FakeAggregator(
            desired: Self.idle, versions: [3: (three.fp32, three.int8), 4: (four.fp32, four.int8)])
        let agent = try await TestAgent(folder: try makeTemporaryDirectory())
        var reports = fake.events.makeAsyncIterator()
        try await withFake(fake) { client in
            let installer = agent.installer(client)
            let first = await installer.reconcile(try three.desired(deploymentId: "dep-1"))
            XCTAssertEqual(first, .settled)
            _ = await reports.next()
            _ = await installer.reconcile(try four.desired(deploymentId: "dep-2"))
            guard case .report(let installed)? = await reports.next() else { return XCTFail("no report") }
            XCTAssertEqual(installed.state, .installed)
            XCTAssertEqual(installed.health?.installed.version, 4)
            XCTAssertEqual(installed.health?.replaced?.version, 3)
            let downloads = fake.weightsRequests.count

            _ = await installer.reconcile(try three.desired(deploymentId: "dep-3"))
            guard case .report(let rolledBack)? = await reports.next() else { return XCTFail("no report") }
            XCTAssertEqual(rolledBack.state, .rolledBack, rolledBack.message ?? "")
            XCTAssertEqual(rolledBack.version, 3)
            XCTAssertEqual(rolledBack.health?.installed.version, 3)
            XCTAssertEqual(rolledBack.health?.replaced?.version, 4)
            XCTAssertEqual(fake.weightsRequests.count, downloads, "going back downloads nothing")
        }
        XCTAssertEqual(agent.slot.model?.tag, "toy@3")
        let slots = try await agent.store.modelSlots()
        XCTAssertEqual(slots.active?.version, 3)
        XCTAssertEqual(slots.previous?.version, 4)
        XCTAssertEqual(slots.active?.deploymentId, "dep-1", "the slot keeps the deployment it was installed for")
        let samples = PrometheusSamples(agent.metrics.registry.exposition())
        XCTAssertEqual(samples.value("starling_agent_installs_total", ["outcome": "installed"]), 2)
        XCTAssertEqual(samples.value("starling_agent_installs_total", ["outcome": "rolled_back"]), 1)
        XCTAssertEqual(samples.value("starling_agent_installs_total", ["outcome": "failed"]), 0)
    }

    func test_install_ofAThirdVersion_deletesTheFilesOfTheOldestOne() async throws {
        let versions = try [3, 4, 5].map { try ToyArtifacts(version: $0) }
        let fake = FakeAggregator(
            desired: Self.idle,
            versions: Dictionary(uniqueKeysWithValues: versions.map { ($0.version, ($0.fp32, $0.int8)) }))
        let agent = try await TestAgent(folder: try makeTemporaryDirectory())
        try await withFake(fake) { client in
            let installer = agent.installer(client)
            for (index, version) in versions.enumerated() {
                let outcome = await installer.reconcile(try version.desired(deploymentId: "dep-\(index)"))
                XCTAssertEqual(outcome, .settled)
            }
        }
        let slots = try await agent.store.modelSlots()
        XCTAssertEqual(slots.active?.version, 5)
        XCTAssertEqual(slots.previous?.version, 4)
        let expected = versions.suffix(2).flatMap {
            [$0.record.sha256 + ".safetensors", $0.record.sha256Int8 + ".int8.safetensors"]
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: agent.paths.models.path)), Set(expected))
    }

    func test_rollback_whenThePreviousFilesAreGone_downloadsThemAgain_andReportsInstalled() async throws {
        let three = try ToyArtifacts(version: 3)
        let four = try ToyArtifacts(version: 4)
        let fake = FakeAggregator(
            desired: Self.idle, versions: [3: (three.fp32, three.int8), 4: (four.fp32, four.int8)])
        let agent = try await TestAgent(folder: try makeTemporaryDirectory())
        var reports = fake.events.makeAsyncIterator()
        try await withFake(fake) { client in
            let installer = agent.installer(client)
            _ = await installer.reconcile(try three.desired(deploymentId: "dep-1"))
            _ = await installer.reconcile(try four.desired(deploymentId: "dep-2"))
            _ = await reports.next()
            _ = await reports.next()
            try FileManager.default.removeItem(
                at: ModelFiles(paths: agent.paths).url(.int8, sha256: three.record.sha256Int8))

            _ = await installer.reconcile(try three.desired(deploymentId: "dep-3"))
            guard case .report(let report)? = await reports.next() else { return XCTFail("no report") }
            XCTAssertEqual(report.state, .installed, report.message ?? "")
        }
        XCTAssertEqual(agent.slot.model?.tag, "toy@3")
        XCTAssertEqual(
            fake.weightsRequests.suffix(1).map(\.path),
            [APIPath.deviceWeights(model: "toy", version: 3, format: .int8)],
            "only the missing artifact is downloaded again")
    }

    /// The report's smoke tests are those of the device's held-out samples, for the new model and
    /// for the one it replaced.
    func test_report_carriesTheSmokeTestsOfBothModels_onTheHeldOutSamples() async throws {
        let three = try ToyArtifacts(version: 3)
        let four = try ToyArtifacts(version: 4, swapped: true)
        let fake = FakeAggregator(
            desired: Self.idle, versions: [3: (three.fp32, three.int8), 4: (four.fp32, four.int8)])
        let agent = try await TestAgent(folder: try makeTemporaryDirectory())
        var reports = fake.events.makeAsyncIterator()
        var health: InstallHealth?
        try await withFake(fake) { client in
            let installer = agent.installer(client)
            _ = await installer.reconcile(try three.desired(deploymentId: "dep-1"))
            guard case .report(let first)? = await reports.next() else { return XCTFail("no report") }
            XCTAssertNil(first.health?.replaced, "nothing was replaced")
            _ = await installer.reconcile(try four.desired(deploymentId: "dep-2"))
            guard case .report(let second)? = await reports.next() else { return XCTFail("no report") }
            health = second.health
        }
        let eval = try await agent.store.samples(in: .eval)
        XCTAssertGreaterThan(eval.count, 0)
        let installed = try XCTUnwrap(health?.installed)
        let replaced = try XCTUnwrap(health?.replaced)
        XCTAssertEqual(installed.samples, eval.count)
        XCTAssertEqual(installed.accuracy, 0, "toy@4 has its classes swapped")
        XCTAssertEqual(replaced.accuracy, 1)
        XCTAssertEqual(installed.errorRate, 0)
        XCTAssertEqual(installed.escalationRate, 0)
        XCTAssertGreaterThan(installed.latencyMs, 0)
    }

    private static let idle = DesiredState(revision: "idle", model: nil, rounds: [])
}

/// An agent's store, paths and serving slot in a data folder `folder` holding 40 samples of the toy
/// problem ((1, 0) is "a", (0, 1) is "b"), for driving a ``ModelInstaller`` by hand.
struct TestAgent {
    let paths: AgentPaths
    let store: AgentStore
    let slot = ModelSlot()
    let metrics = AgentMetrics()

    init(folder: URL) async throws {
        paths = AgentPaths(dataDirectory: folder)
        store = try AgentStore(path: paths.database)
        try await store.insert(
            (0..<40).map { row in
                row.isMultiple(of: 2)
                    ? LabelledSample(features: [1, 0], label: "a") : LabelledSample(features: [0, 1], label: "b")
            })
    }

    func installer(_ client: StarlingHTTPClient) -> ModelInstaller {
        ModelInstaller(
            client: client, store: store, slot: slot, verifier: VersionVerifier(key: testSigningKey.publicKey),
            paths: paths, metrics: metrics, work: testWork, logger: testLogger)
    }
}
