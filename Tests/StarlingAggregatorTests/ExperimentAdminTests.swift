import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Experiments through the admin API and the device protocol: bad requests are refused with a
/// code, a device running another version of the model gets the candidates in its desired state,
/// windows recorded as arms make the verdict, and only a winner can be promoted.
final class ExperimentAdminTests: XCTestCase {
    /// Model `m` with versions 1 and 2 (from a plain round) and the device that trained it.
    private func twoVersions(_ aggregator: TestAggregator) async throws -> TestDevice {
        let (run, device, task) = try await aggregator.startPlainRound(of: "m")
        let _: UpdateReceipt = try await device.client.post(
            APIPath.deviceUpdate(runId: task.runId, round: task.round),
            bytes: UpdateBody.make(try ModelArchitecture(parsing: "4-3-2"), value: 0.1))
        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        return device
    }

    private func window(version: Int, experiment: String, requests: Int, correct: Int) -> MonitorWindow {
        var window = MonitorWindow(
            version: "m@\(version)", start: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 60,
            seconds: 60, labels: ["0", "1"], bins: [])
        window.requests = requests
        window.feedback = requests
        window.correct = correct
        window.confusion = [correct, requests - correct, 0, 0]
        window.arm = ExperimentArm(experiment: experiment, shadow: false)
        return window
    }

    func test_badExperiments_areRefusedWithACode() async throws {
        let aggregator = try await TestAggregator.start(deadline: 60)
        let device = try await twoVersions(aggregator)
        let bad: [(CreateDeploymentRequest, Int, String)] = [
            (.init(model: "m", alias: "stable", selector: .all, mode: .shadow), 400, "invalid_deployment"),
            (.init(model: "m", version: 2, selector: .all, mode: .shadow, split: 20), 400, "invalid_deployment"),
            (.init(model: "m", version: 2, selector: .all, mode: .ab, arms: [1]), 400, "invalid_deployment"),
            (.init(model: "m", version: 2, selector: .all, mode: .bandit, arms: [2]), 400, "invalid_deployment"),
            (.init(model: "m", version: 2, selector: .all, mode: .ab, split: 100), 400, "invalid_deployment"),
            (.init(model: "m", version: 2, selector: .all, mode: .ab, minFeedback: 0), 400, "invalid_deployment"),
            (.init(model: "m", version: 2, selector: .all, strategy: .canary, mode: .ab), 400, "invalid_deployment"),
            (.init(model: "m", version: 9, selector: .all, mode: .shadow), 404, "version_not_found"),
        ]
        for (request, status, code) in bad {
            await assertAPIError(status: status, code: code) {
                try await aggregator.admin.post(APIPath.adminDeployments, json: request, as: DeploymentInfo.self)
            }
        }
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_anABExperiment_reachesDevicesOfTheModel_judgesTheirArms_andPromotesOnlyAWinner() async throws {
        let aggregator = try await TestAggregator.start(deadline: 60)
        let admin = aggregator.admin
        let device = try await twoVersions(aggregator)
        let experiment: DeploymentInfo = try await admin.post(
            APIPath.adminDeployments,
            json: CreateDeploymentRequest(model: "m", version: 2, selector: .all, mode: .ab, split: 30, minFeedback: 50)
        )
        let desired: DesiredState = try await device.client.post(
            APIPath.deviceWatch, json: WatchRequest(revision: "", sampleCount: 10, runningModel: "m@1"))
        let offered = try XCTUnwrap(desired.experiment)
        XCTAssertEqual(offered.id, experiment.id)
        XCTAssertEqual(offered.mode, .ab)
        XCTAssertEqual(offered.split, 30)
        XCTAssertEqual(offered.candidates.map(\.version), [2])
        let onCandidate: DesiredState = try await device.client.post(
            APIPath.deviceWatch, json: WatchRequest(revision: "", sampleCount: 10, runningModel: "m@2"))
        XCTAssertNil(onCandidate.experiment, "a device running the candidate has no control to compare it with")

        // Too little feedback for a verdict: promote is refused.
        let _: MonitorUploadReceipt = try await device.client.post(
            APIPath.deviceMonitor,
            json: MonitorUpload(windows: [
                window(version: 1, experiment: experiment.id, requests: 20, correct: 10),
                window(version: 2, experiment: experiment.id, requests: 20, correct: 18),
            ]))
        await assertAPIError(status: 409, code: "deployment_state") {
            try await admin.post(
                APIPath.adminDeployment(id: experiment.id, action: "promote"), json: PromoteRequest(),
                as: DeploymentInfo.self)
        }
        // Sent again with enough: 50/100 against 90/100 is a clear win for the candidate.
        let _: MonitorUploadReceipt = try await device.client.post(
            APIPath.deviceMonitor,
            json: MonitorUpload(windows: [
                window(version: 1, experiment: experiment.id, requests: 100, correct: 50),
                window(version: 2, experiment: experiment.id, requests: 100, correct: 90),
            ]))
        let judged: DeploymentInfo = try await admin.get(APIPath.adminDeployment(id: experiment.id))
        let verdict = try XCTUnwrap(judged.experiment?.verdict)
        XCTAssertEqual(verdict.winner, "candidate", verdict.summary)
        XCTAssertEqual(try XCTUnwrap(verdict.difference), 0.4, accuracy: 1e-9)
        XCTAssertEqual(judged.experiment?.arms.map(\.role), ["candidate", "control"])
        let fleet: FleetMonitorReport = try await admin.get(APIPath.adminMonitor(model: "m") + "?window=3600")
        XCTAssertEqual(
            fleet.versions.map(\.total.requests).reduce(0, +), 200, "arms that served count in the fleet view")

        await assertAPIError(status: 400, code: "invalid_monitor") {
            var foreign = self.window(version: 1, experiment: "rnd-1234", requests: 5, correct: 1)
            foreign.start -= 60
            return try await device.client.post(
                APIPath.deviceMonitor, json: MonitorUpload(windows: [foreign]), as: MonitorUploadReceipt.self)
        }
        let promoted: DeploymentInfo = try await admin.post(
            APIPath.adminDeployment(id: experiment.id, action: "promote"), json: PromoteRequest())
        XCTAssertEqual(promoted.state, .completed)
        let rollout: DeploymentInfo = try await admin.get(
            APIPath.adminDeployment(id: try XCTUnwrap(promoted.experiment?.promotedTo)))
        XCTAssertEqual(rollout.version, 2)
        await assertAPIError(status: 409, code: "deployment_state") {
            try await admin.post(
                APIPath.adminDeployment(id: experiment.id, action: "abort"), json: PromoteRequest(),
                as: DeploymentInfo.self)
        }
        await device.client.shutdown()
        try await aggregator.stop()
    }
}
