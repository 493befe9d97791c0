import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// Over-selection over HTTPS: a run that needs two updates invites three devices, closes its round
/// at the second update without waiting for the straggler, and tells the straggler it is too late.
final class OverSelectionTests: XCTestCase {
    func test_aRoundInvitingThreeForTwoUpdates_closesAtTwo_andTheStragglerIsTooLate() async throws {
        let aggregator = try await TestAggregator.start(deadline: 600)
        let devices = try await aggregator.modelWithWatchingDevices("over", count: 3)
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "over", clients: 2, minClients: 2, rounds: 1, deadlineSeconds: 600, seed: 1,
                secureAggregation: false, overSelection: 0.5))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        XCTAssertEqual(Set(tasks.map(\.runId)), [run.id], "all three devices are invited")
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let path = APIPath.deviceUpdate(runId: run.id, round: 1)
        for device in devices.prefix(2) {
            let _: UpdateReceipt = try await device.client.post(path, bytes: UpdateBody.make(architecture, value: 0.1))
        }
        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, "closed at two updates, long before the 600 s deadline")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 2)
        XCTAssertEqual(finished.rounds.first?.cohortSize, 3)
        await assertAPIError(status: 409, code: "round_closed") {
            try await devices[2].client.post(
                path, bytes: UpdateBody.make(architecture, value: 0.1), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 400, code: "invalid_run") {
            let _: RunInfo = try await aggregator.admin.post(
                APIPath.adminRuns,
                json: StartRunRequest(model: "over", clients: 2, minClients: 2, rounds: 1, overSelection: 1.5))
        }
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }
}
