import Foundation
import StarlingProtocol
import StarlingStorage
import XCTest

@testable import StarlingAggregator

/// A replica that does not lead stores a contribution only if the run's stored machine takes it,
/// checked in the transaction that stores it: once the leader has written the round's close, no
/// other replica can add to it, and a device answers a round once whichever replica it reaches.
final class StoredAdmissionTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_800_000_000)

    func test_aContributionAdmittedAgainstTheStoredMachine_isRefusedOnceTheLeaderWroteTheClose() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("starling-admission-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try Storage(path: folder.appendingPathComponent("starling.sqlite").path)
        let leader = Leadership(replica: "replica-leading")
        try leader.claimBlocking(storage.engine, at: start)
        let follower = RunStore(engine: storage.engine, leadership: Leadership(replica: "replica-following"))
        try await storage.engine.write { [start] db in
            for id in ["d1", "d2"] {
                try db.insert(
                    DeviceRecord(
                        id: id, tags: [], certificatePEM: "", enrolledAt: start, lastSeen: nil, sampleCount: 10,
                        runningModel: nil, revoked: false, revokedAt: nil, revocationReason: nil))
            }
        }

        var machine = RunMachine(
            configuration: .init(
                rounds: 1, clients: 2, minClients: 1, invited: 2, deadlineSeconds: 60, secureStageSeconds: nil,
                seed: 3),
            baseVersion: 1, startedAt: start)
        _ = machine.tick(now: start, eligible: ["d1", "d2"])
        let plan = try RunPlan(
            validating: StartRunRequest(
                model: "m", clients: 2, minClients: 1, localEpochs: 1, rounds: 1, seed: 3, secureAggregation: false),
            defaultDeadline: 60, seed: 3)
        let run = RunRecord(
            id: "rnd-admission", kind: .train, model: "m", state: .running, plan: plan, failureReason: nil,
            createdAt: start, machine: machine)
        try await follower.insert(
            run, first: RunCoordinator.newRound(of: run, number: 1, baseVersion: 1, at: start))
        let written = machine
        try await storage.engine.write { db in
            try RunStore.write(written, of: "rnd-admission", roundState: .running, fence: leader, in: db)
        }

        try await follower.insert(update(from: "d1"), bytes: [1], checked: true)
        await assertRefused(status: 409, code: "duplicate_update") {
            try await follower.insert(self.update(from: "d1"), bytes: [1], checked: true)
        }
        await assertRefused(status: 403, code: "not_in_cohort") {
            try await follower.insert(self.update(from: "d9"), bytes: [1], checked: true)
        }
        await assertRefused(status: 409, code: "duplicate_update") {
            try await follower.insert(
                RoundFailureRecord(
                    runId: "rnd-admission", round: 1, deviceId: "d1", reason: .diverged, detail: "",
                    reportedAt: self.start),
                checked: true)
        }

        // The leader, told of d1's update, closes the round at its deadline and writes that.
        _ = machine.contributionStored(from: "d1", at: start)
        let actions = machine.tick(now: start.addingTimeInterval(61), eligible: [])
        XCTAssertEqual(actions, [.combine(contributors: ["d1"])])
        let closed = machine
        try await storage.engine.write { db in
            try RunStore.write(closed, of: "rnd-admission", roundState: .running, fence: leader, in: db)
        }
        await assertRefused(status: 409, code: "round_closed") {
            try await follower.insert(self.update(from: "d2"), bytes: [1], checked: true)
        }
        let stored = try await follower.updates(runId: "rnd-admission", round: 1)
        XCTAssertEqual(stored.map(\.deviceId), ["d1"], "nothing of the refused contribution is stored")
        try await storage.engine.close()
    }

    /// Asserts that `call` throws the API error with this status and code.
    private func assertRefused(
        status: Int, code: String, file: StaticString = #filePath, line: UInt = #line,
        _ call: () async throws -> Void
    ) async {
        do {
            try await call()
            XCTFail("expected \(status) \(code)", file: file, line: line)
        } catch let error as APIError {
            XCTAssertEqual(Int(error.status.code), status, file: file, line: line)
            XCTAssertEqual(error.code.rawValue, code, file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    private func update(from device: String) -> RoundUpdateRecord {
        RoundUpdateRecord(
            runId: "rnd-admission", round: 1, deviceId: device, trainSamples: 10, trainLoss: nil, evalSamples: nil,
            evalAccuracy: nil, path: "", receivedAt: start, staleness: nil)
    }
}
