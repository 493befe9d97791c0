import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Plain (non-secure) feature-statistics collections over HTTPS: checked uploads are merged into a
/// registered profile, a bad upload is refused and left out, and a cohort too small for privacy
/// makes no profile.
final class StatisticsCollectionTests: XCTestCase {
    /// `statistics` as safetensors with one field replaced, as a faulty device might send it.
    private func tampered(
        _ statistics: FeatureStatistics, _ change: (inout SafetensorsFile) -> Void
    ) throws -> [UInt8] {
        var file = try SafetensorsFile(decoding: statistics.safetensors())
        change(&file)
        return file.encoded()
    }

    func test_threeGoodUploadsAndARefusedOne_makeTheProfileOfTheGoodOnesAtTheDeadline() async throws {
        let aggregator = try await TestAggregator.start()
        var devices: [TestDevice] = []
        for _ in 0..<4 { devices.append(try await aggregator.enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 60) }
        let width = 3
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminProfiles,
            json: CollectStatisticsRequest(
                name: "sensors", width: width, clients: 4, minDevices: 3, deadlineSeconds: 3, secureAggregation: false,
                seed: 21))
        XCTAssertEqual(run.kind, .statistics)
        XCTAssertFalse(run.secureAggregation)
        XCTAssertEqual(run.minClients, 3)

        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        for task in tasks {
            XCTAssertEqual(task.kind, .statistics)
            XCTAssertEqual(task.statistics, StatisticsTask(width: width, grid: .standard))
            XCTAssertNil(task.secureAggregation)
            XCTAssertNil(task.training)
        }
        let path = APIPath.deviceStatistics(runId: run.id, round: 1)
        var good: [FeatureStatistics] = []
        for index in 0..<3 {
            let statistics = StatisticsFixtures.statistics(
                seed: 100 + UInt64(index), rows: 30 + 7 * index, width: width)
            let receipt: UpdateReceipt = try await devices[index].client.post(path, bytes: statistics.safetensors())
            XCTAssertTrue(receipt.accepted)
            good.append(statistics)
        }
        let faulty = devices[3]
        let own = StatisticsFixtures.statistics(seed: 200, rows: 25, width: width)
        let withNaN = try tampered(own) { file in
            file.tensors["sums"] = SafetensorsFile.float64(shape: [width], values: [1, .nan, 3])
        }
        await assertAPIError(status: 400, code: "invalid_statistics") {
            try await faulty.client.post(path, bytes: withNaN, as: UpdateReceipt.self)
        }
        let miscounted = try tampered(own) { file in file.metadata["rows"] = "26" }
        await assertAPIError(status: 400, code: "invalid_statistics") {
            try await faulty.client.post(path, bytes: miscounted, as: UpdateReceipt.self)
        }
        let otherWidth = StatisticsFixtures.statistics(seed: 201, rows: 25, width: width + 1)
        await assertAPIError(status: 400, code: "invalid_statistics") {
            try await faulty.client.post(path, bytes: otherWidth.safetensors(), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 409, code: "wrong_contribution") {
            try await faulty.client.post(
                APIPath.deviceEvaluation(runId: run.id, round: 1),
                json: EvaluationFigures(samples: 1, accuracy: 1, loss: 0, confusion: nil), as: UpdateReceipt.self)
        }

        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 3)
        XCTAssertEqual(finished.profile, ProfileReference(name: "sensors", version: 1))

        let profile: FeatureProfile = try await aggregator.admin.get(APIPath.adminProfile(name: "sensors"))
        let expected = try FeatureProfile(
            name: "sensors", version: 1, statistics: try StatisticsFixtures.merged(good), devices: 3)
        XCTAssertEqual(profile.devices, 3)
        XCTAssertEqual(profile.samples, 30 + 37 + 44)
        XCTAssertEqual(profile.width, width)
        XCTAssertEqual(profile.histograms, expected.histograms)
        for (got, want) in zip(profile.features, expected.features) {
            XCTAssertEqual(got.count, want.count)
            XCTAssertEqual(got.rejected, want.rejected)
            XCTAssertEqual(got.mean, want.mean, accuracy: 1e-9 * max(1, abs(want.mean)))
            XCTAssertEqual(got.std, want.std, accuracy: 1e-9 * max(1, want.std))
            XCTAssertEqual(got.zeroFraction, want.zeroFraction)
        }
        let byVersion: FeatureProfile = try await aggregator.admin.get(
            APIPath.adminProfile(name: "sensors") + "?version=1")
        XCTAssertEqual(byVersion, profile)
        await assertAPIError(status: 404, code: "profile_not_found") {
            try await aggregator.admin.get(
                APIPath.adminProfile(name: "sensors") + "?version=2", as: FeatureProfile.self)
        }
        let list: ProfileList = try await aggregator.admin.get(APIPath.adminProfiles)
        XCTAssertEqual(list.profiles.map(\.name), ["sensors"])
        XCTAssertEqual(list.profiles.first?.runId, run.id)
        XCTAssertEqual(list.profiles.first?.devices, 3)
        XCTAssertEqual(list.profiles.first?.secureAggregation, false)

        await assertAPIError(status: 409, code: "round_closed") {
            try await faulty.client.post(path, bytes: own.safetensors(), as: UpdateReceipt.self)
        }
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    func test_aRequestBelowTheAggregatorsFloor_isRefusedWithASentence() async throws {
        let aggregator = try await TestAggregator.start()
        do {
            let _: RunInfo = try await aggregator.admin.post(
                APIPath.adminProfiles, json: CollectStatisticsRequest(name: "tiny", width: 4, minDevices: 2))
            XCTFail("a collection from two devices was started")
        } catch {
            guard case .api(let status, let code, let message) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 400)
            XCTAssertEqual(code, "cohort_too_small")
            XCTAssertTrue(message.contains("at least 3 devices"), message)
            XCTAssertTrue(message.contains("would reveal individual devices"), message)
        }
        await assertAPIError(status: 400, code: "invalid_statistics_request") {
            try await aggregator.admin.post(
                APIPath.adminProfiles, json: CollectStatisticsRequest(name: "both", width: 4, featuresFrom: "m"),
                as: RunInfo.self)
        }
        await assertAPIError(status: 400, code: "invalid_profile") {
            try await aggregator.admin.post(
                APIPath.adminProfiles, json: CollectStatisticsRequest(name: "Not A Name", width: 4), as: RunInfo.self)
        }
        try await aggregator.stop()
    }

    func test_aCollectionEndingWithFewerDevicesThanItsMinimum_failsAndKeepsNoProfile() async throws {
        let aggregator = try await TestAggregator.start()
        var devices: [TestDevice] = []
        for _ in 0..<3 { devices.append(try await aggregator.enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 60) }
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminProfiles,
            json: CollectStatisticsRequest(
                name: "short", width: 2, clients: 3, minDevices: 3, deadlineSeconds: 30, secureAggregation: false,
                seed: 3))
        for device in devices { _ = try await device.nextTask() }
        let path = APIPath.deviceStatistics(runId: run.id, round: 1)
        for index in 0..<2 {
            let statistics = StatisticsFixtures.statistics(seed: UInt64(index), rows: 20, width: 2)
            let _: UpdateReceipt = try await devices[index].client.post(path, bytes: statistics.safetensors())
        }
        let _: UpdateReceipt = try await devices[2].client.post(
            APIPath.deviceFailure(runId: run.id, round: 1),
            json: ClientFailureReport(reason: .noData, detail: "none of the 12 training samples has 2 features"))

        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .failed)
        XCTAssertEqual(
            finished.failureReason, "only 2 of 3 required updates: 1 of 3 devices reported failures (1 no_data)")
        XCTAssertNil(finished.profile)
        XCTAssertEqual(finished.rounds.first?.failedClients.map(\.reason), [.noData])
        await assertAPIError(status: 404, code: "profile_not_found") {
            try await aggregator.admin.get(APIPath.adminProfile(name: "short"), as: FeatureProfile.self)
        }
        let list: ProfileList = try await aggregator.admin.get(APIPath.adminProfiles)
        XCTAssertTrue(list.profiles.isEmpty)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }
}
