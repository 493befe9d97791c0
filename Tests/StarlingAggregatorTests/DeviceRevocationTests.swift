import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A revoked device is refused on the device listener from its next request on (its held watch
/// included), leaves the rounds waiting for it and the rollouts targeting it, and stays revoked
/// after a restart; the listing shows when and why.
final class DeviceRevocationTests: XCTestCase {
    private func revoke(_ id: String, reason: String? = nil, on aggregator: TestAggregator) async throws -> DeviceInfo {
        try await aggregator.admin.post(
            APIPath.adminDeviceRevocation(id: id), json: RevokeDeviceRequest(reason: reason))
    }

    private func enroll(on aggregator: TestAggregator) async throws -> TestDevice {
        let device = try await aggregator.enroll()
        addTeardownBlock { await device.client.shutdown() }
        return device
    }

    func test_aRevokedDevice_isRefused403_listedWithReason_andStaysRevokedAfterARestart() async throws {
        let first = try await TestAggregator.start()
        let device = try await enroll(on: first)
        let other = try await enroll(on: first)
        _ = try await device.watch()

        let info = try await revoke(device.id, reason: "stolen from the lab", on: first)
        XCTAssertEqual(info.id, device.id)
        XCTAssertEqual(info.revocationReason, "stolen from the lab")
        let revokedAt = try XCTUnwrap(info.revokedAt)
        await assertAPIError(status: 403, code: "device_revoked") { try await device.watch() }
        _ = try await other.watch()
        let again = try await revoke(device.id, reason: "another reason", on: first)
        XCTAssertEqual(again.revokedAt, revokedAt, "revoking twice keeps the first revocation")
        XCTAssertEqual(again.revocationReason, "stolen from the lab")
        let listing: DeviceList = try await first.admin.get(APIPath.adminDevices)
        XCTAssertEqual(listing.devices.map(\.id), [device.id, other.id])
        XCTAssertEqual(listing.devices.map { $0.revokedAt != nil }, [true, false])
        await device.client.shutdown()
        try await first.stop(removingFolder: false)

        let second = try await TestAggregator.start(folder: first.folder)
        addTeardownBlock { try await second.stop() }
        let reconnected = try TestAggregator.client(
            second.endpoints.deviceUrl, caPEM: second.caPEM, identity: device.identity)
        addTeardownBlock { await reconnected.shutdown() }
        await assertAPIError(status: 403, code: "device_revoked") {
            try await reconnected.post(
                APIPath.deviceWatch,
                json: WatchRequest(revision: "", sampleCount: 1, runningModel: nil, waitSeconds: 0),
                as: DesiredState.self)
        }
        let relisted: DeviceList = try await second.admin.get(APIPath.adminDevices)
        XCTAssertEqual(
            relisted.devices.first?.revokedAt.map { $0.timeIntervalSince(revokedAt) } ?? 99, 0, accuracy: 0.01)
        XCTAssertEqual(relisted.devices.first?.revocationReason, "stolen from the lab")
    }

    func test_aHeldWatch_isAnsweredWith403AsSoonAsTheDeviceIsRevoked() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let device = try await enroll(on: aggregator)
        let state = try await device.watch()
        let started = ContinuousClock.now
        let held = Task { try await device.watch(revision: state.revision, wait: 50) }
        _ = try await Wait.until("the watch to be held", timeout: .seconds(30)) {
            await aggregator.broadcasterWaiters > 0 ? true : nil
        }
        _ = try await revoke(device.id, on: aggregator)
        await assertAPIError(status: 403, code: "device_revoked") { try await held.value }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(20), "the watch was not held to its end")
    }

    func test_badRevocations_areRefusedWithACode() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let device = try await enroll(on: aggregator)
        await assertAPIError(status: 404, code: "device_not_found") {
            try await self.revoke("dev-000000000000", on: aggregator)
        }
        await assertAPIError(status: 400, code: "invalid_reason") {
            try await self.revoke(device.id, reason: String(repeating: "x", count: 501), on: aggregator)
        }
        await assertAPIError(status: 400, code: "invalid_reason") {
            try await self.revoke(device.id, reason: "line\nbreak", on: aggregator)
        }
        _ = try await device.watch()
    }

    func test_revokingACohortMember_endsTheRoundWithoutWaitingForIt() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let architecture = "4-3-2"
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: architecture, seed: 3))
        let devices = [try await enroll(on: aggregator), try await enroll(on: aggregator)]
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        // A deadline far beyond what waitForEnd waits: a round that ends was not waiting for it.
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "m", clients: 2, minClients: 1, rounds: 1, deadlineSeconds: 300, seed: 4,
                secureAggregation: false))
        for device in devices { _ = try await device.nextTask() }
        let _: UpdateReceipt = try await devices[0].client.post(
            APIPath.deviceUpdate(runId: round.id, round: 1),
            bytes: UpdateBody.make(try ModelArchitecture(parsing: architecture), value: 0.1))

        _ = try await revoke(devices[1].id, reason: "decommissioned", on: aggregator)
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let first = try XCTUnwrap(finished.rounds.first)
        XCTAssertEqual(first.updatesReceived, 1)
        XCTAssertEqual(first.failedClients.map(\.device), [devices[1].id])
        XCTAssertEqual(first.failedClients.first?.reason, .revoked)
    }

    func test_revokingADevice_takesItOutOfARollout() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "m", architecture: "4-2", seed: 1))
        let devices = [try await enroll(on: aggregator), try await enroll(on: aggregator)]
        let deployment: DeploymentInfo = try await aggregator.admin.post(
            APIPath.adminDeployments,
            json: CreateDeploymentRequest(model: "m", version: 1, selector: .all, strategy: .canary, waves: [50, 100]))
        XCTAssertEqual(deployment.targeted, 2)

        _ = try await revoke(devices[0].id, on: aggregator)
        let admin = aggregator.admin
        let targeted = try await Wait.until("the rollout to drop the revoked device", timeout: .seconds(10)) {
            let info: DeploymentInfo? = try? await admin.get(APIPath.adminDeployment(id: deployment.id))
            return info?.targeted == 1 ? 1 : nil
        }
        XCTAssertEqual(targeted, 1, "the revoked device left the rollout's targets")
        let remaining = try await devices[1].watch()
        XCTAssertEqual(remaining.model?.version, 1)
    }
}
