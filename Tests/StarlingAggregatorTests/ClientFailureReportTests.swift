import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// Devices that cannot contribute say so over HTTPS: the run shows them, stops waiting for them,
/// and fails with their reasons when nobody is left to contribute.
final class ClientFailureReportTests: XCTestCase {
    private let architecture = "4-3-2"

    private func start(
        _ aggregator: TestAggregator, devices count: Int, minClients: Int
    ) async throws -> (RunInfo, [TestDevice]) {
        addTeardownBlock { try await aggregator.stop() }
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "frail", architecture: architecture, seed: 3))
        var devices: [TestDevice] = []
        for _ in 0..<count { devices.append(try await enroll(on: aggregator)) }
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        // The deadline is far beyond what waitForEnd waits: a run that ends was not waiting for it.
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "frail", clients: count, minClients: minClients, rounds: 1, deadlineSeconds: 300, seed: 4,
                secureAggregation: false))
        for device in devices { _ = try await device.nextTask() }
        return (round, devices)
    }

    /// A new device whose client is closed when the test ends, however it ends.
    private func enroll(on aggregator: TestAggregator) async throws -> TestDevice {
        let device = try await aggregator.enroll()
        addTeardownBlock { await device.client.shutdown() }
        return device
    }

    func test_aDivergedDevice_isShownAsFailed_andTheRoundCompletesWithTheOthersWithoutWaiting() async throws {
        let aggregator = try await TestAggregator.start()
        let (round, devices) = try await start(aggregator, devices: 3, minClients: 2)
        let outsider = try await enroll(on: aggregator)
        let failurePath = APIPath.deviceFailure(runId: round.id, round: 1)
        let updatePath = APIPath.deviceUpdate(runId: round.id, round: 1)
        let model = try ModelArchitecture(parsing: architecture)
        let report = ClientFailureReport(
            reason: .diverged, detail: "the mini-batch loss became NaN at step 3 (epoch 1)")

        let receipt: UpdateReceipt = try await devices[2].client.post(failurePath, json: report)
        XCTAssertTrue(receipt.accepted)
        await assertAPIError(status: 409, code: "duplicate_update") {
            try await devices[2].client.post(failurePath, json: report, as: UpdateReceipt.self)
        }
        await assertAPIError(status: 409, code: "duplicate_update") {
            try await devices[2].client.post(
                updatePath, bytes: UpdateBody.make(model, value: 0.1), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 403, code: "not_in_cohort") {
            try await outsider.client.post(failurePath, json: report, as: UpdateReceipt.self)
        }
        await assertAPIError(status: 404, code: "round_not_found") {
            try await devices[0].client.post(
                APIPath.deviceFailure(runId: "rnd-nope", round: 1), json: report, as: UpdateReceipt.self)
        }
        let running: RunInfo = try await aggregator.admin.get(APIPath.adminRun(id: round.id))
        XCTAssertEqual(running.state, .running)
        XCTAssertEqual(running.rounds.first?.failedClients.map(\.device), [devices[2].id])

        let _: UpdateReceipt = try await devices[0].client.post(updatePath, bytes: UpdateBody.make(model, value: 0.1))
        await assertAPIError(status: 409, code: "duplicate_update") {
            try await devices[0].client.post(failurePath, json: report, as: UpdateReceipt.self)
        }
        let _: UpdateReceipt = try await devices[1].client.post(updatePath, bytes: UpdateBody.make(model, value: 0.3))

        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let first = try XCTUnwrap(finished.rounds.first)
        XCTAssertEqual(first.updatesReceived, 2)
        XCTAssertEqual(first.producedVersion, 2)
        XCTAssertEqual(first.failedClients.count, 1)
        XCTAssertEqual(first.failedClients.first?.device, devices[2].id)
        XCTAssertEqual(first.failedClients.first?.reason, .diverged)
        XCTAssertEqual(first.failedClients.first?.detail, report.detail)
        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "frail"))
        XCTAssertEqual(versions.versions.last?.lineage.cohortSize, 3)
        XCTAssertEqual(versions.versions.last?.metrics.trainSamples, 100, "the two contributors' 50 samples each")
        await assertAPIError(status: 409, code: "round_closed") {
            try await devices[1].client.post(failurePath, json: report, as: UpdateReceipt.self)
        }
    }

    func test_reportsArrivingTogetherFromTheWholeCohort_areAllCounted_andFailTheRoundAtOnce() async throws {
        let aggregator = try await TestAggregator.start()
        let (round, devices) = try await start(aggregator, devices: 6, minClients: 2)
        let failurePath = APIPath.deviceFailure(runId: round.id, round: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for device in devices {
                group.addTask {
                    let _: UpdateReceipt = try await device.client.post(
                        failurePath, json: ClientFailureReport(reason: .diverged, detail: "the loss became NaN"))
                }
            }
            try await group.waitForAll()
        }
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .failed)
        XCTAssertEqual(
            finished.failureReason, "only 0 of 2 required updates: 6 of 6 devices reported failures (6 diverged)")
        XCTAssertEqual(finished.rounds.first?.failedClients.count, 6)
    }

    func test_everyDeviceFailing_failsTheRoundAtOnceWithASentenceNamingTheFailures() async throws {
        let aggregator = try await TestAggregator.start()
        let (round, devices) = try await start(aggregator, devices: 2, minClients: 1)
        let failurePath = APIPath.deviceFailure(runId: round.id, round: 1)
        let _: UpdateReceipt = try await devices[0].client.post(
            failurePath,
            json: ClientFailureReport(reason: .diverged, detail: "the mini-batch loss became +Inf at step 1 (epoch 1)"))
        let _: UpdateReceipt = try await devices[1].client.post(
            failurePath,
            json: ClientFailureReport(
                reason: .diverged, detail: String(repeating: "x", count: ClientFailureReport.maximumDetailLength + 50)))

        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .failed)
        XCTAssertEqual(
            finished.failureReason, "only 0 of 1 required updates: 2 of 2 devices reported failures (2 diverged)")
        let first = try XCTUnwrap(finished.rounds.first)
        XCTAssertEqual(first.state, .failed)
        XCTAssertNil(first.producedVersion)
        XCTAssertEqual(Set(first.failedClients.map(\.device)), Set(devices.map(\.id)))
        XCTAssertEqual(
            first.failedClients.map(\.detail.count).max(), ClientFailureReport.maximumDetailLength,
            "a long detail is cut to the length the aggregator keeps")
        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "frail"))
        XCTAssertEqual(versions.versions.count, 1)
    }
}
