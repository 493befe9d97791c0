import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Rollouts through the real aggregator over mutual TLS, with devices that report health by hand:
/// a broken canary halts in its first wave and its devices go back, a good one walks every wave,
/// aliases carry deployments to new versions, pinned devices stay put, and operators steer.
final class RolloutServiceTests: XCTestCase {
    private var aggregator: TestAggregator!
    private var fleet: [TestDevice] = []

    override func setUp() async throws {
        aggregator = try await TestAggregator.start()
        for version in 1...3 {
            if version == 1 {
                let _: ModelVersionInfo = try await aggregator.admin.post(
                    APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: "4-2", seed: 1))
            } else {
                let bytes = try await aggregator.admin.getBytes(APIPath.adminWeights(model: "m", version: 1))
                let _: ModelVersionInfo = try await aggregator.admin.post(
                    APIPath.adminModelImport + "?name=m", bytes: bytes)
            }
        }
        fleet = []
        for index in 0..<10 { fleet.append(try await aggregator.enroll(tags: [Tag(key: "n", value: "\(index)")])) }
    }

    override func tearDown() async throws {
        for device in fleet { await device.client.shutdown() }
        try await aggregator.stop()
    }

    private func deploy(_ request: CreateDeploymentRequest) async throws -> DeploymentInfo {
        try await aggregator.admin.post(APIPath.adminDeployments, json: request)
    }

    private func info(_ id: String) async throws -> DeploymentInfo {
        try await aggregator.admin.get(APIPath.adminDeployment(id: id))
    }

    /// Each device's desired version now (nil when none).
    private func desiredVersions() async throws -> [Int?] {
        var versions: [Int?] = []
        for device in fleet { versions.append(try await device.watch().model?.version) }
        return versions
    }

    /// Devices whose desired model is `version` of deployment `id` report their smoke test.
    private func report(_ id: String, version: Int, accuracy: Double) async throws -> Int {
        var reported = 0
        for device in fleet {
            guard let model = try await device.watch().model, model.deploymentId == id, model.version == version else {
                continue
            }
            let health = InstallHealth(
                installed: SmokeTest(
                    model: "m", version: version, samples: 50, accuracy: accuracy, latencyMs: 0.1, errorRate: 0,
                    escalationRate: 0.1),
                replaced: SmokeTest(
                    model: "m", version: 1, samples: 50, accuracy: 0.9, latencyMs: 0.1, errorRate: 0,
                    escalationRate: 0.1))
            let _: DeploymentInfo = try await device.client.post(
                APIPath.deviceDeploymentReport(id: id),
                json: DeploymentReport(state: .installed, model: "m", version: version, health: health))
            reported += 1
        }
        return reported
    }

    /// Polls deployment `id` until `condition` holds (failing after 20 s), calling `reporting`
    /// between polls so devices can answer each new wave.
    private func waitFor(
        _ id: String, _ condition: @escaping @Sendable (DeploymentInfo) -> Bool,
        reporting: () async throws -> Int = { 0 }
    ) async throws -> DeploymentInfo {
        try await Wait.until("deployment \(id) to reach the expected state", timeout: .seconds(20)) {
            _ = try? await reporting()
            guard let current = try? await info(id), condition(current) else { return nil as DeploymentInfo? }
            return current
        }
    }

    func test_aReportedInstall_showsInTheDeviceListing_beforeTheDeviceWatchesAgain() async throws {
        let deployment = try await deploy(CreateDeploymentRequest(model: "m", version: 2, selector: .all))
        let reported = try await report(deployment.id, version: 2, accuracy: 0.9)
        XCTAssertEqual(reported, 10)
        let listing: DeviceList = try await aggregator.admin.get(APIPath.adminDevices)
        XCTAssertEqual(listing.devices.map(\.runningModel), Array(repeating: "m@2", count: 10))
    }

    func test_brokenCanary_haltsInItsFirstWave_andItsDevicesGoBack_thenAGoodOneWalksEveryWave() async throws {
        let base = try await deploy(CreateDeploymentRequest(model: "m", version: 1, selector: .all))
        let baseReports = try await report(base.id, version: 1, accuracy: 0.9)
        XCTAssertEqual(baseReports, 10)
        _ = try await waitFor(base.id) { $0.state == .completed }

        let broken = try await deploy(
            CreateDeploymentRequest(
                model: "m", version: 2, selector: .all, strategy: .canary, waves: [20, 50, 100], bakeSeconds: 0.3))
        XCTAssertEqual(broken.counts.pending, 2, "the first wave is 20 % of 10")
        let canaryVersions = try await desiredVersions()
        XCTAssertEqual(canaryVersions.filter { $0 == 2 }.count, 2)
        let brokenReports = try await report(broken.id, version: 2, accuracy: 0.1)
        XCTAssertEqual(brokenReports, 1, "the first collapse already exceeds 5 % of the wave and halts it")
        let halted = try await waitFor(broken.id) { $0.state == .halted }
        XCTAssertTrue(halted.reason?.contains("accuracy") ?? false, halted.reason ?? "")
        XCTAssertEqual(halted.counts.rolledBack, 2)
        let afterHalt = try await desiredVersions()
        XCTAssertEqual(afterHalt, Array(repeating: 1, count: 10), "the touched devices go back to version 1")

        let good = try await deploy(
            CreateDeploymentRequest(
                model: "m", version: 3, selector: .all, strategy: .canary, waves: [20, 50, 100], bakeSeconds: 0.3))
        let done = try await waitFor(good.id, { $0.state == .completed }) {
            try await self.report(good.id, version: 3, accuracy: 0.91)
        }
        XCTAssertEqual(done.counts.installed, 10)
        let afterGood = try await desiredVersions()
        XCTAssertEqual(afterGood, Array(repeating: 3, count: 10))
        let events: DeploymentEventList = try await aggregator.admin.get(APIPath.adminDeploymentEvents(id: good.id))
        XCTAssertGreaterThanOrEqual(events.events.filter { $0.message.contains("wave") }.count, 3, "\(events.events)")
    }

    func test_movingAnAlias_supersedesItsDeployment_andRollsTheNewVersionOut() async throws {
        let _: ModelAlias = try await aggregator.admin.put(
            APIPath.adminAlias(model: "m", alias: "production"), json: SetAliasRequest(version: 1))
        let first = try await deploy(CreateDeploymentRequest(model: "m", alias: "production", selector: .all))
        XCTAssertEqual(first.version, 1)
        await assertAPIError(status: 404, code: "version_not_found") {
            try await self.aggregator.admin.put(
                APIPath.adminAlias(model: "m", alias: "production"), json: SetAliasRequest(version: 99),
                as: ModelAlias.self)
        }
        let unmoved = try await info(first.id)
        XCTAssertEqual(unmoved.state, .running, "a refused move changes neither the alias nor its deployments")
        let _: ModelAlias = try await aggregator.admin.put(
            APIPath.adminAlias(model: "m", alias: "production"), json: SetAliasRequest(version: 3))
        let superseded = try await info(first.id)
        XCTAssertEqual(superseded.state, .superseded)
        let moved = try await desiredVersions()
        XCTAssertEqual(moved, Array(repeating: 3, count: 10))

        // The alias, the new deployment and the old one's state were written together.
        let folder = aggregator.folder
        try await aggregator.stop(removingFolder: false)
        aggregator = try await TestAggregator.start(folder: folder)
        let aliases: AliasList = try await aggregator.admin.get(APIPath.adminAliases(model: "m"))
        XCTAssertEqual(aliases.aliases.map(\.version), [3])
        let restored = try await info(first.id)
        XCTAssertEqual(restored.state, .superseded)
        let after = try await desiredVersions()
        XCTAssertEqual(after, Array(repeating: 3, count: 10), "the new deployment was stored with the move")
        await assertAPIError(status: 404, code: "alias_not_found") {
            try await self.deploy(CreateDeploymentRequest(model: "m", alias: "nope", selector: .all))
        }
        await assertAPIError(status: 400, code: "invalid_deployment") {
            try await self.deploy(CreateDeploymentRequest(model: "m", version: 1, alias: "production", selector: .all))
        }
    }

    func test_pinnedDevices_stayPut_whenALaterDeploymentCoversThem() async throws {
        let pinned = try await deploy(
            CreateDeploymentRequest(
                model: "m", version: 1, selector: .tags([Tag(key: "n", value: "0")]), strategy: .pinned))
        XCTAssertEqual(pinned.targeted, 1)
        let later = try await deploy(CreateDeploymentRequest(model: "m", version: 2, selector: .all))
        XCTAssertEqual(later.targeted, 9, "the pinned device is not a target")
        let held = try await desiredVersions()
        XCTAssertEqual(held, [1] + Array(repeating: 2, count: 9))
    }

    func test_operators_pauseResumeAbortAndRollBack_andImpossibleActionsAre409() async throws {
        let base = try await deploy(CreateDeploymentRequest(model: "m", version: 1, selector: .all))
        _ = try await report(base.id, version: 1, accuracy: 0.9)
        let canary = try await deploy(
            CreateDeploymentRequest(
                model: "m", version: 2, selector: .all, strategy: .canary, waves: [20, 100], bakeSeconds: 600))
        let paused: DeploymentInfo = try await aggregator.admin.post(
            APIPath.adminDeployment(id: canary.id, action: "pause"), json: [String: String]())
        XCTAssertEqual(paused.state, .paused)
        await assertAPIError(status: 409, code: "deployment_state") {
            try await self.aggregator.admin.post(
                APIPath.adminDeployment(id: canary.id, action: "pause"), json: [String: String](),
                as: DeploymentInfo.self)
        }
        let resumed: DeploymentInfo = try await aggregator.admin.post(
            APIPath.adminDeployment(id: canary.id, action: "resume"), json: [String: String]())
        XCTAssertEqual(resumed.state, .running)
        let rolledBack: DeploymentInfo = try await aggregator.admin.post(
            APIPath.adminDeployment(id: canary.id, action: "rollback"), json: [String: String]())
        XCTAssertEqual(rolledBack.state, .rolledBack)
        let back = try await desiredVersions()
        XCTAssertEqual(back, Array(repeating: 1, count: 10))
        await assertAPIError(status: 409, code: "deployment_state") {
            try await self.aggregator.admin.post(
                APIPath.adminDeployment(id: canary.id, action: "abort"), json: [String: String](),
                as: DeploymentInfo.self)
        }
        await assertAPIError(status: 400, code: "invalid_action") {
            try await self.aggregator.admin.post(
                APIPath.adminDeployment(id: canary.id, action: "explode"), json: [String: String](),
                as: DeploymentInfo.self)
        }
        await assertAPIError(status: 400, code: "invalid_deployment") {
            try await self.deploy(
                CreateDeploymentRequest(model: "m", version: 2, selector: .all, strategy: .canary, waves: [50, 20]))
        }
    }
}
